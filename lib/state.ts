import { Messages } from './errors';

/**
 * The life of an SslDuplex. The read side's end of stream and the write side's shutdown are
 * tracked beside it (each direction ends on its own); everything else is this one value.
 *
 *   Created ──▶ Authenticating ──▶ Authenticated
 *      │              │                  │
 *      │              ▼                  ▼
 *      │            Faulted ◀────────────┘   (stored error: handshake, timeout, abort, transport)
 *      ▼              ▼
 *   Disposed ◀────────┘  (from every state)
 */
export enum Phase {
  Created = 'Created',
  Authenticating = 'Authenticating',
  Authenticated = 'Authenticated',
  Faulted = 'Faulted',
  Disposed = 'Disposed',
}

const legal: Record<Phase, readonly Phase[]> = {
  [Phase.Created]: [Phase.Authenticating, Phase.Disposed],
  [Phase.Authenticating]: [Phase.Authenticated, Phase.Faulted, Phase.Disposed],
  [Phase.Authenticated]: [Phase.Faulted, Phase.Disposed],
  [Phase.Faulted]: [Phase.Disposed],
  [Phase.Disposed]: [],
};

/** Asserts an internal invariant: a transition the table does not allow is a bug in this library. */
export function nextPhase(from: Phase, to: Phase): Phase {
  if (!legal[from].includes(to)) throw new Error(Messages.illegalTransition(from, to));
  return to;
}
