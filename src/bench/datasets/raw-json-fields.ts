/**
 * Cuts the values of some top-level fields out of a JSON object's text, unparsed, and parses the rest.
 *
 * EvalPlus inputs hold integers beyond 2**53, floats such as `1.0` that must stay floats, and bare `Infinity`
 * tokens (which JSON.parse rejects): they go to Python as the dataset wrote them. The scanner only needs to
 * know strings and nesting, so it stays this small.
 */
export function withRawFields(
  text: string,
  keys: readonly string[],
): { record: unknown; raw: Record<string, string | undefined> } {
  const raw: Record<string, string | undefined> = {};
  const spans: Array<{ start: number; end: number }> = [];
  let depth = 0;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      const end = stringEnd(text, index);
      const key = depth === 1 ? JSON.parse(text.slice(index, end)) : null;
      index = end;
      const colon = /^\s*:\s*/.exec(text.slice(index, index + 64));
      if (typeof key === "string" && colon && keys.includes(key)) {
        const start = index + colon[0].length;
        const valueEnd = valueEndOf(text, start);
        raw[key] = text.slice(start, valueEnd);
        spans.push({ start, end: valueEnd });
        index = valueEnd;
      }
      continue;
    }
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") depth--;
    index++;
  }
  let rest = "";
  let from = 0;
  for (const span of spans) {
    rest += `${text.slice(from, span.start)}null`;
    from = span.end;
  }
  rest += text.slice(from);
  return { record: JSON.parse(rest), raw };
}

/** The index just past the string starting at `start` (a double quote). */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === "\\") index += 2;
    else if (char === '"') return index + 1;
    else index++;
  }
  throw new SyntaxError(`unterminated string at ${start}`);
}

/** The index just past the JSON value starting at `start`. */
function valueEndOf(text: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = stringEnd(text, index);
      if (depth === 0) return index;
      continue;
    }
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      if (depth === 0) return index;
      depth--;
      if (depth === 0) return index + 1;
    } else if (depth === 0 && char === ",") return index;
    index++;
  }
  return index;
}
