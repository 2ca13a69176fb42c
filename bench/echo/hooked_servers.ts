/**
 * The wsflow benchmark servers again, serving the echo as message hooks (`--hooks` to
 * servers/wsflow.ts) rather than a `for await` loop: what bench:echo and bench:connect add
 * after each runtime's wsflow, with the same id and a `-hooks` suffix.
 *
 * @module
 */

/** What both benches' server lists have in common. */
export interface ServerCommand {
  readonly id: string;
  readonly name: string;
  readonly command: readonly string[];
}

/**
 * Inserts after `wsflow-node`, `wsflow-bun` and `wsflow-deno` in `all` their hooks variant.
 *
 * @param all A bench's servers; changed in place.
 */
export function addHookedServers<Spec extends ServerCommand>(all: Spec[]): void {
  for (const id of ["wsflow-node", "wsflow-bun", "wsflow-deno"]) {
    const at = all.findIndex((s) => s.id === id);
    if (at < 0) continue;
    const spec = all[at]!;
    all.splice(at + 1, 0, {
      ...spec,
      id: `${id}-hooks`,
      name: "wsflow (hooks)",
      command: [...spec.command, "--hooks"],
    });
  }
}
