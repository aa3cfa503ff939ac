import type { Code, Nodes, Root } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { mdxFromMarkdown } from "mdast-util-mdx";
import { mdxjs } from "micromark-extension-mdxjs";
import { LitmusError } from "../../errors.ts";
import { type Directives, mergeDirectives, parseDirectiveComment, parseFenceDirectives } from "./directives.ts";
import { runnableFence, type Snippet, type SnippetDocument } from "./snippet.ts";

/** `<!-- litmus: skip -->` in Markdown; `{/* litmus: skip *\/}` in MDX, where HTML comments are not allowed. */
const HTML_DIRECTIVE = /<!--\s*litmus:([\s\S]*?)-->/g;
const MDX_DIRECTIVE = /^\/\*\s*litmus:([\s\S]*?)\*\/$/;

/**
 * The runnable snippets of a Markdown or MDX document, in order, with the directives its comments and fence
 * info strings give them. Throws BAD_INPUT, naming the line, for a directive it cannot read.
 */
export function markdownSnippets(path: string, source: string, format: "markdown" | "mdx"): SnippetDocument {
  const tree = parse(path, source, format);
  const snippets: Snippet[] = [];
  let pending: Directives = {};
  let skipRestFrom: number | undefined;
  let previous: Snippet | undefined;

  const onComment = (text: string, line: number): void => {
    const directives = parseDirectiveComment(text, `${path}:${line}`);
    if (directives.skipRest) skipRestFrom ??= line;
    pending = mergeDirectives(pending, directives);
  };
  const onCode = (node: Code): void => {
    const fenceLine = node.position?.start.line ?? 1;
    const where = `${path}:${fenceLine}`;
    const directives = mergeDirectives(pending, parseFenceDirectives(node.meta ?? "", where));
    pending = {};
    if (directives.skipRest) skipRestFrom ??= fenceLine;
    // An indented block has no fence line: its code starts where the node does.
    const position = { line: fenceLine + (isFenced(node, source) ? 1 : 0) };
    if (node.lang === "output" || directives.output) {
      if (!previous) throw new LitmusError("BAD_INPUT", `${where}: an output block must come right after a code block`);
      previous.expectedOutput = { text: node.value, position };
      previous.directives = mergeDirectives(previous.directives, outputDirectives(directives));
      previous = undefined;
      return;
    }
    const runnable = runnableFence(node.lang, node.value);
    previous = undefined;
    if (!runnable) return;
    if (skipRestFrom !== undefined) directives.skip ??= `skip-rest at line ${skipRestFrom}`;
    previous = { index: snippets.length + 1, ...runnable, code: node.value, position, directives };
    snippets.push(previous);
  };

  visit(tree, (node) => {
    if (node.type === "code") onCode(node);
    else if (node.type === "html") {
      for (const match of node.value.matchAll(HTML_DIRECTIVE))
        onComment(match[1] ?? "", node.position?.start.line ?? 1);
    } else if (node.type === "mdxFlowExpression") {
      const match = MDX_DIRECTIVE.exec(node.value.trim());
      if (match) onComment(match[1] ?? "", node.position?.start.line ?? 1);
    } else if (node.type !== "root" && node.type !== "list" && node.type !== "listItem" && node.type !== "blockquote") {
      // Prose between a code block and the next cuts the tie between code and its output block.
      previous = undefined;
    }
  });
  return { path, format, snippets };
}

function parse(path: string, source: string, format: "markdown" | "mdx"): Root {
  if (format === "markdown") return fromMarkdown(source);
  try {
    return fromMarkdown(source, { extensions: [mdxjs()], mdastExtensions: [mdxFromMarkdown()] });
  } catch (error) {
    const place = (error as { line?: number }).line;
    throw new LitmusError(
      "BAD_INPUT",
      `${path}${place ? `:${place}` : ""}: not valid MDX: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Visits every node in document order, parents before their children. */
function visit(node: Nodes, onNode: (node: Nodes) => void): void {
  onNode(node);
  if ("children" in node) for (const child of node.children) visit(child as Nodes, onNode);
}

function isFenced(node: Code, source: string): boolean {
  const offset = node.position?.start.offset;
  if (offset === undefined) return true;
  const opening = source.slice(offset, offset + 3);
  return opening === "```" || opening === "~~~";
}

/** The directives of an output block that say how to compare it. */
function outputDirectives(directives: Directives): Directives {
  return {
    ...(directives.match ? { match: directives.match } : {}),
    ...(directives.normalize ? { normalize: directives.normalize } : {}),
  };
}
