// The transport seam of a simulated agent: the agent talks to a Link (agent/mqtt-link.ts), so a
// fleet can give it a real MQTT connection or an in-process one, and the chaos layer can wrap
// either to cut, hang or watch it.
import type { Link, LinkOptions } from '../../agent/mqtt-link.ts';

export type { Link, LinkEvents, LinkOptions } from '../../agent/mqtt-link.ts';

/** Builds the link an agent uses, from the options the agent would give mqtt.js. */
export type LinkFactory = (opts: LinkOptions) => Link;
