import { readFileSync } from "node:fs";

/**
 * The uid of the process at the other end of a TCP connection over loopback, read from the kernel's socket
 * tables (/proc/net/tcp and tcp6: the peer's socket is the entry whose local port is our remote port and whose
 * remote port is our local port). Linux only; null where it cannot be told (another OS, a connection that is
 * already gone). This is how a server without tokens tells one local user from another.
 */
export function loopbackPeerUid(remotePort: number, localPort: number): number | null {
  const local = hexPort(remotePort);
  const remote = hexPort(localPort);
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, localAddress, remoteAddress, , , , , uid] = fields;
      if (localAddress?.endsWith(`:${local}`) && remoteAddress?.endsWith(`:${remote}`) && uid !== undefined)
        return Number(uid);
    }
  }
  return null;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, "0");
}
