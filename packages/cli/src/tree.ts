import { truncate } from './format.ts';

// A lineage drawn as a tree: the root at the top, each edit under the job whose output it edited,
// branches with ├── and └──, and the job that was asked for marked.

export interface TreeNode {
  id: string;
  status: string;
  prompt: string;
  children: TreeNode[];
}

export interface LineageShape {
  job_id: string;
  /** From the root down to the asked job's parent (their own children are not filled in). */
  ancestors: TreeNode[];
  /** The asked job with every descendant. */
  tree: TreeNode;
}

export const MARK = '◀';

export interface TreeOptions {
  /** Longest prompt shown on a node (longer ones end in …). */
  promptWidth?: number;
}

/** The ancestors as a single line of descent ending in the asked job's own tree. */
export function lineageTree(lineage: LineageShape): TreeNode {
  let subtree: TreeNode = lineage.tree;
  for (const ancestor of [...lineage.ancestors].reverse()) subtree = { ...ancestor, children: [subtree] };
  return subtree;
}

export function renderTree(root: TreeNode, markedId: string, options: TreeOptions = {}): string {
  const promptWidth = options.promptWidth ?? 48;
  const label = (node: TreeNode) =>
    `${node.id}  ${node.status}  ${JSON.stringify(truncate(node.prompt, promptWidth))}${node.id === markedId ? `  ${MARK}` : ''}`;
  const lines = [label(root)];
  const walk = (node: TreeNode, prefix: string) => {
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(child)}`);
      walk(child, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  walk(root, '');
  return lines.join('\n');
}
