// Plain-text tables for finish details (Buildkite shows them in a monospace block).

/** Columns padded to the widest cell; cells are single-line and cut at `maxCell` characters. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], maxCell = 80): string {
  const clean = (cell: string) => {
    const flat = cell.replace(/\s+/g, " ").trim();
    return flat.length > maxCell ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const table = [headers.map(clean), ...rows.map((row) => row.map(clean))];
  const widths = headers.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

/** "1h2m3s", "45s": how Go prints durations, which Buildkite users know from agent-stack-k8s. */
export function humanDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
