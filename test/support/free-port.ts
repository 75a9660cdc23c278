// Moved to lab/services so that the lab and the demo start services the same way as the tests.
export * from '../../lab/services/free-port.js';
