import { EventEmitter } from 'node:events';

/**
 * Node's own streams start `_events` with the keys most sockets get and mark the emitter
 * (`kShapeMode`): a listener removed then leaves `undefined` behind instead of deleting its key, so
 * the object stays a fast, in-object one. readable-stream's emitters start from
 * `{ __proto__: null }`, a dictionary of ~160 bytes per connection, and every removal deletes. An
 * SslDuplex gets Node's treatment; where the marker is not found (another runtime), nothing changes
 * but the memory.
 */
const kShapeMode = Object.getOwnPropertySymbols(new EventEmitter()).find((s) => s.description === 'shapeMode');

interface Shapeable {
  _events?: object;
  _eventsCount?: number;
}

export function shapeEvents(emitter: EventEmitter): void {
  const e = emitter as EventEmitter & Shapeable & Record<symbol, unknown>;
  if (kShapeMode === undefined || e._eventsCount !== 0 || typeof e[kShapeMode] !== 'boolean') return;
  // The events of a socket: stream events, then TLS's. (Node's Readable lists the first five.)
  e._events = {
    close: undefined,
    error: undefined,
    data: undefined,
    end: undefined,
    readable: undefined,
    drain: undefined,
    finish: undefined,
    newListener: undefined,
    secure: undefined,
    secureConnect: undefined,
  };
  e[kShapeMode] = true;
}

/** `eventNames()` for a shaped emitter: the keys that hold listeners, as Node's streams answer. */
export function eventNamesOf(emitter: EventEmitter): (string | symbol)[] {
  const events = (emitter as EventEmitter & Shapeable)._events as Record<string | symbol, unknown> | undefined;
  if (events === undefined) return [];
  return Reflect.ownKeys(events).filter((key) => {
    const listeners = events[key];
    return typeof listeners === 'function' || (Array.isArray(listeners) && listeners.length > 0);
  });
}
