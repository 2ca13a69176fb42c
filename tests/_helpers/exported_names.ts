// The names an entry-point file exports, read from its source: values and types alike, which a
// runtime `import * as` cannot show. Entry points re-export by name (`export *` would hide what
// it exports and is reported as such), so reading the file itself is enough.

/** Exported names of a module source, sorted, types marked `type Name`. */
export function exportedNames(source: string): string[] {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const names = new Set<string>();
  for (const match of code.matchAll(/^export\s+\*/gm)) {
    names.add(`* (export * at offset ${match.index})`);
  }
  const declaration =
    /^export\s+(?:declare\s+)?(?:(async\s+)?function\*?|class|const|let|var|interface|type|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
  for (const match of code.matchAll(declaration)) {
    const keyword = match[0].includes("interface") || /\btype\s+[A-Za-z_$]/.test(match[0])
      ? "type "
      : "";
    names.add(`${keyword}${match[2]}`);
  }
  for (const match of code.matchAll(/^export\s+(type\s+)?\{([^}]*)\}/gm)) {
    const allTypes = match[1] !== undefined;
    for (const part of match[2]!.split(",")) {
      const item = part.trim();
      if (item === "") continue;
      const isType = allTypes || item.startsWith("type ");
      const bare = item.replace(/^type\s+/, "");
      const exported = bare.includes(" as ") ? bare.split(/\s+as\s+/)[1]!.trim() : bare;
      names.add(`${isType ? "type " : ""}${exported}`);
    }
  }
  return [...names].sort((a, b) => a.replace(/^type /, "").localeCompare(b.replace(/^type /, "")));
}
