// The MQTT brokers Banyan is tested against, each started privately on loopback ports, and what
// each one does differently. One place: the end-to-end suite (tests/e2e/brokers.test.ts) and the
// ingest bench read these; the README's "Scaling out" table says the same in words.
import { startEmbeddedBroker } from '../../orchestrator/broker.ts';
import { findBinary } from './child.ts';
import { natsServerBinary, natsTakesDotsInTopics, NatsCluster } from './nats-cluster.ts';
import { PrivateMosquitto } from '../chaos/mosquitto.ts';
import { PrivateRabbitMq, epmdBinary, rabbitmqServerBinary } from './rabbitmq.ts';

export type BrokerName = 'aedes' | 'mosquitto' | 'nats-cluster' | 'rabbitmq';

export interface RunningBroker {
  /** Where the orchestrator connects. */
  orchestratorUrl: string;
  /** Where agents connect: on a cluster, another node than the orchestrator's, so messages cross it. */
  agentUrl: string;
  /** Whether "." in a topic level (site or node id) is carried to a `+` filter. */
  dotsInTopics: boolean;
  stop(): Promise<void>;
}

export interface BrokerKind {
  name: BrokerName;
  /** What is missing to run it (binary not found), with what to install; null when it can run. */
  missing(): string | null;
  start(): Promise<RunningBroker>;
  /** Retained messages reach a subscription with wildcards (the orchestrator's `+/+/birth`). */
  retainedToWildcards: boolean;
}

export const BROKERS: readonly BrokerKind[] = [
  {
    // The broker `npm start` embeds, run on its own so it outlives an orchestrator restart.
    name: 'aedes',
    missing: () => null,
    retainedToWildcards: true,
    async start() {
      const b = await startEmbeddedBroker({ port: 0 });
      return { orchestratorUrl: b.url, agentUrl: b.url, dotsInTopics: true, stop: () => b.close() };
    },
  },
  {
    name: 'mosquitto',
    missing: () => (findBinary('mosquitto', 'BANYAN_MOSQUITTO', ['/usr/sbin/mosquitto']) ? null : 'mosquitto not found: apt-get install mosquitto'),
    retainedToWildcards: true,
    async start() {
      const m = await PrivateMosquitto.start();
      return { orchestratorUrl: m.url, agentUrl: m.url, dotsInTopics: true, stop: () => m.stop() };
    },
  },
  {
    name: 'nats-cluster',
    missing: () => (natsServerBinary() ? null : 'nats-server not found: apt-get install nats-server'),
    retainedToWildcards: true,
    async start() {
      const c = await NatsCluster.start({ nodes: 3 });
      return { orchestratorUrl: c.mqttUrls[0]!, agentUrl: c.mqttUrls[2]!, dotsInTopics: natsTakesDotsInTopics(c.version), stop: () => c.stop() };
    },
  },
  {
    name: 'rabbitmq',
    missing: () => (rabbitmqServerBinary() && epmdBinary() ? null : 'rabbitmq-server not found: apt-get install rabbitmq-server'),
    retainedToWildcards: false,
    async start() {
      const r = await PrivateRabbitMq.start();
      // RabbitMQ maps "/" to "." in its routing keys: a "." inside a level no longer matches "+".
      return { orchestratorUrl: r.mqttUrl, agentUrl: r.mqttUrl, dotsInTopics: false, stop: () => r.stop() };
    },
  },
];
