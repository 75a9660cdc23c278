#!/usr/bin/env node
// The `gameday` command: runs the TypeScript CLI through tsx (a devDependency), from any directory.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
