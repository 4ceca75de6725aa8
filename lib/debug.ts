import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=ssl-duplex` turns this on: state transitions, handshake results, errors. Off by
 * default; callers test `debug.enabled` before building a message, so it costs nothing when off.
 */
export const debug = debuglog('ssl-duplex');
