import type { DocumentPosition } from "./snippet.ts";

/** Where the code of one executed cell came from: a snippet of the document, or the configured setup code. */
export interface CellOrigin {
  /** Position of the cell's first line. */
  position: DocumentPosition;
  code: string;
  /** "setup" for the configured setup code, which has no place in the document. */
  label?: string;
}

/** A frame of a traceback, placed in the document. */
export interface PlacedFrame {
  position: DocumentPosition;
  /** The source line at that position. */
  source: string;
}

const PYTHON_FRAME = /^ {2}File "<cell-(\d+)>", line (\d+)(.*)$/;
const JS_CELL = /cell-(\d+)\.(?:js|ts):(\d+)(?::(\d+))?/g;

/**
 * The cells a context has run, by execution number, so a traceback that names `<cell-7>` line 3 can point at
 * the document instead: frames of functions defined by earlier blocks land on those blocks.
 */
export class CellOrigins {
  private readonly cells = new Map<number, CellOrigin>();

  record(executionCount: number, origin: CellOrigin): void {
    this.cells.set(executionCount, origin);
  }

  /**
   * The traceback with every cell frame pointing at `path` and frames outside the document (the standard
   * library, the kernel) left out, and the innermost frame that is in the document.
   */
  placeTraceback(traceback: string, path: string, language: string): { traceback: string; innermost?: PlacedFrame } {
    return language === "python" ? this.placePython(traceback, path) : this.placeJavaScript(traceback, path);
  }

  private placePython(traceback: string, path: string): { traceback: string; innermost?: PlacedFrame } {
    const kept: string[] = [];
    let innermost: PlacedFrame | undefined;
    let inForeignFrame = false;
    for (const line of traceback.replace(/\n$/, "").split("\n")) {
      if (line.startsWith("  File ")) {
        const frame = PYTHON_FRAME.exec(line);
        const placed = frame ? this.place(Number(frame[1]), Number(frame[2])) : undefined;
        inForeignFrame = !placed;
        if (placed) {
          innermost = placed;
          kept.push(`  File "${path}", ${describePosition(placed.position)}${frame?.[3] ?? ""}`);
        }
      } else if (line.startsWith("    ")) {
        if (!inForeignFrame) kept.push(line);
      } else {
        inForeignFrame = false;
        kept.push(line);
      }
    }
    return { traceback: kept.join("\n"), ...(innermost ? { innermost } : {}) };
  }

  private placeJavaScript(traceback: string, path: string): { traceback: string; innermost?: PlacedFrame } {
    let innermost: PlacedFrame | undefined;
    const kept = traceback
      .split("\n")
      .filter((line) => !/^\s+at /.test(line) || /cell-\d+\.(?:js|ts):/.test(line))
      .map((line) =>
        line.replace(JS_CELL, (match, cell: string, row: string, column: string | undefined) => {
          const placed = this.place(Number(cell), Number(row));
          if (!placed) return match;
          innermost ??= placed;
          return `${path}:${describePosition(placed.position, "short")}${column ? `:${column}` : ""}`;
        }),
      );
    return { traceback: kept.join("\n"), ...(innermost ? { innermost } : {}) };
  }

  /** Line `row` (1-based) of cell `cell`, placed in the document. */
  place(cell: number, row: number): PlacedFrame | undefined {
    const origin = this.cells.get(cell);
    if (!origin || origin.label) return undefined;
    return { position: offset(origin.position, row - 1), source: origin.code.split("\n")[row - 1] ?? "" };
  }
}

/** `position` moved `lines` lines down. */
export function offset(position: DocumentPosition, lines: number): DocumentPosition {
  return { ...position, line: position.line + lines };
}

/** "line 42", or "cell 3, line 2" in a notebook; short: "42", "cell 3:2". */
export function describePosition(position: DocumentPosition, style: "long" | "short" = "long"): string {
  if (style === "short")
    return position.cell === undefined ? `${position.line}` : `cell ${position.cell}:${position.line}`;
  return position.cell === undefined ? `line ${position.line}` : `cell ${position.cell}, line ${position.line}`;
}

/** A place in a document as people and editors read it: "README.md:42", "demo.ipynb cell 3, line 2". */
export function placeOf(path: string, position: DocumentPosition): string {
  return position.cell === undefined ? `${path}:${position.line}` : `${path} ${describePosition(position)}`;
}
