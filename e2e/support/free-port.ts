export { freePort, freePortPair } from '../../bench/free-port.js';
