// Run as a child process of the runtime under test (tests/protocol/unmask_copy.test.ts): removes
// WebAssembly before wsflow's protocol code is loaded, as a runtime started with --jitless or an
// engine without it would have none, then unmasks large payloads through the parser and the
// copy functions. Prints `SIMD false` and `OK <count>` when every payload came out right, or
// `WRONG <what>`.
import process from "node:process";

delete (globalThis as { WebAssembly?: unknown }).WebAssembly;

const { copyUnmaskedInto, simdUnmask, sliceUnmasked } = await import(
  "../../src/protocol/unmask_copy.ts"
);
const { FrameParser } = await import("../../src/protocol/frame_parser.ts");
const { FrameSerializer } = await import("../../src/protocol/frame_serializer.ts");

console.log(`SIMD ${simdUnmask()}`);
const key = [0x37, 0xfa, 0x21, 0x3d] as const;
const KEY_WORD = 0x3d21fa37; // the same key, its first byte lowest
const sizes = [2048, 4099, 65_536, 200_001];
let checked = 0;
const wrong = (what: string): never => {
  console.log(`WRONG ${what}`);
  process.exit(1);
};
for (const size of sizes) {
  const source = new Uint8Array(size + 3);
  for (let i = 0; i < source.length; i++) source[i] = (i * 131 + 7) & 0xff;
  const sliced = sliceUnmasked(source, 3, size, KEY_WORD);
  const copied = new Uint8Array(size);
  copyUnmaskedInto(copied, 0, source, 3, size, KEY_WORD, 0);
  for (let i = 0; i < size; i++) {
    const expected = source[3 + i]! ^ key[i & 3]!;
    if (sliced[i] !== expected) wrong(`sliceUnmasked ${size} at ${i}`);
    if (copied[i] !== expected) wrong(`copyUnmaskedInto ${size} at ${i}`);
  }
  checked++;
}
// Client frames masked, then parsed by a server in pieces: both ends without WebAssembly.
const client = new FrameSerializer({ role: "client" });
const payloads = sizes.map((size) => new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff));
for (const payload of payloads) client.writeFrame(2, payload);
const chunks = client.take()!;
const wire = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
let at = 0;
for (const chunk of chunks) {
  wire.set(chunk, at);
  at += chunk.length;
}
const parser = new FrameParser({ role: "server", limits: { maxMessageSize: 1 << 20 } });
const got: Uint8Array[] = [];
for (let i = 0; i < wire.length; i += 4097) {
  parser.push(wire.slice(i, i + 4097), (frame) => got.push(frame.payload));
}
if (got.length !== payloads.length) wrong(`parsed ${got.length} frames`);
payloads.forEach((payload, n) => {
  for (let i = 0; i < payload.length; i++) {
    if (got[n]![i] !== payload[i]) wrong(`frame ${n} at ${i}`);
  }
  checked++;
});
console.log(`OK ${checked}`);
