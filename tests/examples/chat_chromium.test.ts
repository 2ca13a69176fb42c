// examples/chat in a real browser: headless Chromium driven by playwright-core, on each runtime.
// The browser is the one `npm test`'s set-up step provides (scripts/test_programs.ts: unpacked
// from the @sparticuz/chromium devDependency; nothing is downloaded at test time). Two pages join
// room "lobby", one sends, the other shows the message; a page in another room does not. The
// chat server runs as a child process of the runtime under test, as a user would start it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { programPath } from "../../scripts/test_programs.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT = { timeout: 10_000 };

describe(`examples/chat/server.ts on ${runtime} in headless Chromium`, () => {
  let server: ExampleProcess | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startExample("examples/chat/server.ts", { PORT: "0" });
    // A browser that set-up did not provide fails here, loudly: nothing is skipped.
    const executablePath = programPath("chromium");
    const { chromium } = await import("playwright-core");
    userDataDir = mkdtempSync(join(tmpdir(), "wsflow-chromium-"));
    // A fresh profile each run; Playwright takes it as an argument (it refuses --user-data-dir
    // in `args`), which is why this is a persistent context.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 20_000,
    });
  });

  afterAll(async () => {
    try {
      await context?.close();
    } finally {
      await server?.stop();
      if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    }
  });

  async function openPage(room: string, name: string): Promise<Page> {
    const page = await context!.newPage();
    page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.message}`));
    await page.goto(`${server!.urls[0]}/?room=${room}&name=${name}`, WAIT);
    await page.locator('#status[data-state="open"]').waitFor(WAIT);
    return page;
  }

  it("serves the page on GET / from the same port as the WebSockets", async () => {
    const response = await fetch(`${server!.urls[0]}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("<title>wsflow chat</title>");
  });

  it("two pages join room lobby: one sends, the other (and the sender) show it; room other does not", async () => {
    expect(context, "Chromium did not start").toBeDefined();
    const alice = await openPage("lobby", "alice");
    const bob = await openPage("lobby", "bob");
    const carol = await openPage("other", "carol");
    // Alice was there first and sees Bob join.
    await alice.locator("#log li", { hasText: "bob joined" }).waitFor(WAIT);

    const text = "hello from alice 👋 — κόσμε";
    await alice.fill("#message", text);
    await alice.click("#send-button");
    await bob.locator("#log li", { hasText: `alice: ${text}` }).waitFor(WAIT);
    await alice.locator("#log li", { hasText: `alice: ${text}` }).waitFor(WAIT);

    // Bob answers: Alice sees it. By then Carol, in another room, has seen neither.
    await bob.fill("#message", "hi alice");
    await bob.press("#message", "Enter");
    await alice.locator("#log li", { hasText: "bob: hi alice" }).waitFor(WAIT);
    expect(await carol.locator("#log li", { hasText: "alice:" }).count()).toBe(0);
    expect(await carol.locator("#log li", { hasText: "bob:" }).count()).toBe(0);

    // Closing Bob's page ends his connection; the server drops him from the room.
    await bob.close();
    await alice.locator("#log li", { hasText: "bob left" }).waitFor(WAIT);
    await alice.close();
    await carol.close();
    expect(pageErrors).toEqual([]);
  });
});
