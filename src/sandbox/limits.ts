import { LitmusError } from "../errors.ts";
import type { SandboxLimits } from "./types.ts";

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  execTimeoutMs: 30_000,
  graceMs: 1_000,
  memoryBytes: 512 * MiB,
  cpuSeconds: 120,
  cpus: 1,
  processes: 128,
  fileSizeBytes: 64 * MiB,
  openFiles: 512,
  outputBytes: 1 * MiB,
  resultBytes: 16 * MiB,
  diskBytes: 256 * MiB,
});

/** Fills in defaults and rejects nonsense (zero, negative, fractional counts) with the field's name. */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0 || !Number.isInteger(value)) {
      throw new LitmusError("BAD_INPUT", `limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.memoryBytes < 16 * MiB) {
    throw new LitmusError("BAD_INPUT", `limits.memoryBytes must be at least 16 MiB, got ${limits.memoryBytes} bytes`);
  }
  return limits;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: 1024 * MiB,
  gb: 1024 * MiB,
  gib: 1024 * MiB,
};

/** Parses "10s", "500ms", "2m" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const unit = (match?.[2] ?? "s").toLowerCase();
  const factor = DURATION_UNITS_MS[unit];
  if (!match?.[1] || factor === undefined) {
    throw new LitmusError("BAD_INPUT", `invalid duration "${text}": use a number with a unit, like 500ms, 10s or 2m`);
  }
  const ms = Math.round(Number(match[1]) * factor);
  if (ms <= 0) throw new LitmusError("BAD_INPUT", `invalid duration "${text}": it must be greater than zero`);
  return ms;
}

/** Parses "512M", "1G", "64KiB" or a bare number of bytes. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = BYTE_UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match?.[1] || factor === undefined) {
    throw new LitmusError("BAD_INPUT", `invalid size "${text}": use a number with a unit, like 512M or 1G`);
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (bytes <= 0) throw new LitmusError("BAD_INPUT", `invalid size "${text}": it must be greater than zero`);
  return bytes;
}
