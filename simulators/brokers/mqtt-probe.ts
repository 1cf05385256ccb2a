// Whether a broker (or a cluster) carries MQTT end to end: a QoS 1 publish on one URL reaches a
// subscriber on another. Listening ports are not enough: a NATS node accepts MQTT connections
// before JetStream, which keeps MQTT's sessions, has a leader.
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';

export async function mqttRoundTrip(fromUrl: string, toUrl: string, timeoutMs = 3000): Promise<boolean> {
  const id = randomUUID().slice(0, 8);
  const topic = `banyan-probe/${id}`;
  const opts = { reconnectPeriod: 0, connectTimeout: timeoutMs, clean: true };
  const sub = mqtt.connect(toUrl, { ...opts, clientId: `probe-sub-${id}` });
  const pub = mqtt.connect(fromUrl, { ...opts, clientId: `probe-pub-${id}` });
  sub.on('error', () => undefined);
  pub.on('error', () => undefined);
  try {
    const got = new Promise<boolean>((resolve) => sub.on('message', (t) => t === topic && resolve(true)));
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs));
    const run = async () => {
      await sub.subscribeAsync(topic, { qos: 1 });
      // Subscriptions travel between cluster nodes asynchronously: publish until one arrives.
      for (let i = 0; i < timeoutMs / 200; i++) {
        await pub.publishAsync(topic, 'ping', { qos: 1 });
        if (await Promise.race([got, new Promise<false>((r) => setTimeout(() => r(false), 200))])) return true;
      }
      return false;
    };
    return await Promise.race([run(), timeout]);
  } catch {
    return false;
  } finally {
    sub.end(true);
    pub.end(true);
  }
}
