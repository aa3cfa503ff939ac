import { readFileSync } from "node:fs";

/** Turns bwrap's complaint into the fix for this machine, on one line. */
export function explainStartFailure(stderr: string): string {
  const lines = [`the sandbox failed to start (${stderr.trim().replaceAll("\n", "; ") || "no output"}).`];
  if (/namespace|uid map|Operation not permitted|Permission denied/i.test(stderr)) {
    if (readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1") {
      lines.push(
        "AppArmor restricts unprivileged user namespaces here (Ubuntu 23.10+). Either allow them: " +
          "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give bwrap an AppArmor profile " +
          "that permits `userns` (see /etc/apparmor.d/ and `man apparmor.d`).",
      );
    }
    if (readSysctl("/proc/sys/kernel/unprivileged_userns_clone") === "0") {
      lines.push("Unprivileged user namespaces are disabled: `sudo sysctl -w kernel.unprivileged_userns_clone=1`.");
    }
    if (readSysctl("/proc/sys/user/max_user_namespaces") === "0") {
      lines.push("User namespaces are limited to zero: `sudo sysctl -w user.max_user_namespaces=15000`.");
    }
  }
  lines.push("litmus never falls back to running code unisolated.");
  return lines.join(" ");
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}
