export * from '../../lab/services/log-sink.js';
