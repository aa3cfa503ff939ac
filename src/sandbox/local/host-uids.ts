/**
 * Host uids for sandboxes when litmus runs as root: one per live sandbox, so per-user kernel quotas (inotify
 * instances, keys, message queues, RLIMIT_NPROC) are not shared between sandboxes. The range is outside the
 * uids distributions hand out to people and services, and holds no files on the host.
 */
export const SANDBOX_UID_RANGE = { first: 100_000, count: 65_536 } as const;

const inUse = new Set<number>();
// Processes start at different offsets, so two litmus processes rarely hand out the same uid.
let next = Math.floor(Math.random() * SANDBOX_UID_RANGE.count);

/** A uid no other live sandbox of this process has. */
export function allocateHostUid(): number {
  for (let tried = 0; tried < SANDBOX_UID_RANGE.count; tried++) {
    const uid = SANDBOX_UID_RANGE.first + (next++ % SANDBOX_UID_RANGE.count);
    if (!inUse.has(uid)) {
      inUse.add(uid);
      return uid;
    }
  }
  throw new Error("all sandbox uids are in use");
}

export function releaseHostUid(uid: number): void {
  inUse.delete(uid);
}
