/**
 * The embedded broker: aedes in-process on a loopback TCP port. Port 0 (the default) takes a free
 * port, so the simulator never collides with a broker already on 1883.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** False between pause and resume. */
  readonly listening: boolean;
  /**
   * An outage: every connection drops and new ones are refused, while the sessions (subscriptions,
   * queued QoS 1 messages, retained status) stay, as a broker with persistence restarting keeps them.
   */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const listen = async (port: number): Promise<Server> => {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("close", () => sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  };
  const stopListening = async (server: Server) => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let server: Server | undefined = await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    aedes,
    get listening() {
      return server !== undefined;
    },
    pause: async () => {
      const current = server;
      server = undefined;
      if (current) await stopListening(current);
    },
    resume: async () => {
      server ??= await listen(port);
    },
    close: async () => {
      const current = server;
      server = undefined;
      if (current) await stopListening(current);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
