import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";

/** The file descriptors of a bwrap child that lets its caller write its user namespace's maps (`--userns-block-fd`). */
export const USERNS_FDS = { blockFd: 3, infoFd: 4 } as const;

/**
 * As root, writes the uid and gid maps of a bwrap child's user namespace: waits for bwrap to report the
 * namespace (its pid on fd 4), writes `map` (lines of "inside outside count"), then lets bwrap go on (a byte on
 * fd 3). Only the host can map more than one uid, or map a uid other than its own.
 */
export async function writeUserNamespaceMap(child: ChildProcess, map: string): Promise<void> {
  const info = child.stdio[USERNS_FDS.infoFd] as Readable;
  let text = "";
  // The report is one JSON document; bwrap may write it in pieces, so wait for all of it. The pipe is never
  // closed from this side: a write into a closed pipe would kill bwrap with SIGPIPE.
  const childPid = await new Promise<number>((resolve, reject) => {
    info.setEncoding("utf8");
    info.on("data", (chunk: string) => {
      text += chunk;
      try {
        resolve((JSON.parse(text) as { "child-pid": number })["child-pid"]);
      } catch {
        // not complete yet
      }
    });
    info.once("end", () => reject(new Error(`bwrap reported no namespace: ${text}`)));
  });
  (info as unknown as Socket).unref?.();
  writeFileSync(`/proc/${childPid}/uid_map`, map);
  writeFileSync(`/proc/${childPid}/gid_map`, map);
  // Done with the block pipe: closing it lets this process exit while the sandbox lives on.
  const block = child.stdio[USERNS_FDS.blockFd] as Writable;
  block.end("1", () => block.destroy());
}
