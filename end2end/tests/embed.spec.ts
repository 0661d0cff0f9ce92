import { expect, test } from "@playwright/test";
import { createServer, Server } from "node:http";
import { freePort, hydrated, shot, signIn } from "./fixtures";

/** Another site: a page on its own origin (another port) that frames `src`. */
async function hostPage(port: number, src: string): Promise<Server> {
  const server = createServer((_, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title>Intranet</title></head>
      <body style="font-family: sans-serif; background: #eef1f6; margin: 24px">
        <h1 style="font-size: 18px">Intranet · IT status</h1>
        <iframe id="steward" src="${src}" width="640" height="420" style="border: 1px solid #ccd; border-radius: 8px; background: white"></iframe>
      </body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

test("the embedded dashboard renders in an allowed site's iframe, live, and refuses other sites", async ({ page }) => {
  const allowedPort = await freePort();
  const otherPort = await freePort();
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();

  // An admin creates a read-only dashboard link for every application, for one site.
  await page.goto("/settings/embed");
  await hydrated(page);
  const create = page.getByTestId("embed-create");
  await create.getByLabel("Name").fill(`Intranet ${Date.now()}`);
  await create.getByLabel("Sites allowed to show it").fill(`http://127.0.0.1:${allowedPort}`);
  await create.getByRole("button", { name: "Create link" }).click();
  await expect(page.getByTestId("embed-snippet")).toContainText("<iframe");
  const url = (await page.getByTestId("embed-url").innerText()).trim();
  expect(url).toMatch(/\/embed\/[^/]+$/);
  await shot(page, "embed-token-created");

  const allowed = await hostPage(allowedPort, url);
  const other = await hostPage(otherPort, url);
  try {
    // In the allowed site, the dashboard shows inside the iframe and goes live.
    await page.goto(`http://127.0.0.1:${allowedPort}/`);
    const frame = page.frameLocator("#steward");
    await expect(frame.getByTestId("embed-dashboard")).toBeVisible();
    await expect(frame.locator("body[data-hydrated=true]")).toHaveCount(1);
    await expect(frame.getByRole("button", { name: "Sign out" })).toHaveCount(0);
    await expect(frame.locator("nav.sidenav")).toHaveCount(0);
    await shot(page, "embed-in-iframe");

    // Another site gets nothing: the browser refuses to frame it.
    await page.goto(`http://127.0.0.1:${otherPort}/`);
    await expect
      .poll(() => page.frames().some((f) => f.url().startsWith("chrome-error://")), { timeout: 10_000 })
      .toBe(true);
    await expect(page.frameLocator("#steward").getByTestId("embed-dashboard")).toHaveCount(0);

    // The portal itself refuses to be framed anywhere.
    const portal = await page.request.get("/applications");
    expect(portal.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  } finally {
    allowed.close();
    other.close();
  }
});
