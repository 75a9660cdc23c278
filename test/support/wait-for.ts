export * from '../../lab/services/wait-for.js';
