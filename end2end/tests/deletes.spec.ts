import { expect, Page, request as playwrightRequest, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { baseURL } from "../playwright.config";
import { application, freePort, hydrated, shot, signIn, targets, token, users } from "./fixtures";

/** Calls one of the portal's server functions with the admin's session. */
async function serverFn(page: Page, endpoint: string, args: Record<string, string>) {
  await page.evaluate(
    async ([e, b]) => {
      const r = await fetch(`/api/${e}`, { method: "POST", body: new URLSearchParams(b) });
      if (!r.ok) throw new Error(`${e}: ${r.status} ${await r.text()}`);
    },
    [endpoint, new URLSearchParams(args).toString()] as const,
  );
}

/** The users scim2-server holds whose userName starts with `prefix`, by userName. */
async function targetUsers(port: number, prefix: string): Promise<Map<string, boolean>> {
  const target = await playwrightRequest.newContext({ extraHTTPHeaders: { Authorization: "Bearer right-token" } });
  const filter = encodeURIComponent(`userName sw "${prefix}"`);
  const body = await (await target.get(`http://127.0.0.1:${port}/v2/Users?filter=${filter}&count=200`)).json();
  await target.dispose();
  return new Map((body.Resources ?? []).map((u: { userName: string; active?: boolean }) => [u.userName, u.active !== false]));
}

test("a dry run lists what it would send and sends nothing; deletes above the threshold wait for review", async ({ page }) => {
  test.setTimeout(180_000);
  const port = await freePort();
  const pid = execFileSync(`${targets()}/scim2-server/start.sh`, [String(port), "--token", "right-token"]).toString().trim();
  const stamp = Date.now();
  try {
    await signIn(page);
    await expect(page.getByTestId("signed-in-admin")).toBeVisible();
    const api = await playwrightRequest.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `Bearer ${await token(page, "api", `e2e api ${stamp}`)}` },
    });
    const scim = await playwrightRequest.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `Bearer ${await token(page, "scim", `e2e scim ${stamp}`)}` },
    });
    const prefix = `d${stamp}-`;
    const ids = await users(scim, prefix, 8);
    // Only assigned users are in scope; at most 3 disables or deletes per cycle go unheld.
    const id = await application(api, `Deletes ${stamp}`, `http://127.0.0.1:${port}/v2`, "right-token", {
      scope: "assigned",
      prevent_accidental_deletion: true,
      deletion_threshold: 3,
    });
    for (const member of ids) await serverFn(page, "application_assign", { application: id, member, kind: "User", role: "User" });

    // A dry run, read first, lists the eight creates it would send; the target stays empty.
    await page.goto(`/applications/${id}/provisioning`);
    await hydrated(page);
    await expect(page.getByTestId("live-state")).toHaveText("Live");
    await page.getByRole("button", { name: "Dry run…" }).click();
    await expect(page.getByTestId("confirm")).toContainText("sends nothing");
    await page.getByTestId("confirm-go").click();
    const dry = page.getByTestId("dry-run-result");
    await expect(dry).toContainText("Nothing was sent", { timeout: 30_000 });
    const would = dry.getByRole("row").filter({ hasText: prefix });
    await expect(would).toHaveCount(8);
    for (const n of [0, 7]) await expect(dry).toContainText(`Person ${prefix}000${n}`);
    await expect(would.first()).toContainText("Create");
    await expect(page.getByTestId("last-cycle")).toContainText("Would create 8");
    expect((await targetUsers(port, prefix)).size).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "provisioning-dry-run");

    // Turned on: the eight are created.
    await page.getByRole("button", { name: "Turn on…" }).click();
    await page.getByTestId("confirm-go").click();
    await expect(page.getByTestId("last-cycle")).toContainText("Initial cycle · Completed", { timeout: 60_000 });
    await expect.poll(async () => (await targetUsers(port, prefix)).size, { timeout: 30_000 }).toBe(8);

    // Five unassigned at once is more than the threshold: the disables are held, not sent,
    // and the page says so.
    for (const member of ids.slice(0, 5)) await serverFn(page, "application_unassign", { application: id, member });
    await expect(page.getByTestId("job-state")).toHaveText("Waiting for deletes to be allowed", { timeout: 30_000 });
    await expect(page.getByTestId("held-notice")).toContainText("5 disables or deletes are held");
    expect([...(await targetUsers(port, prefix)).values()].every((active) => active)).toBe(true);

    // The admin reviews exactly those five, then allows them.
    await page.getByRole("button", { name: "Review held deletes…" }).click();
    const held = page.getByTestId("held-deletes");
    await expect(held.getByRole("row").filter({ hasText: prefix })).toHaveCount(5);
    for (const n of [0, 4]) await expect(held).toContainText(`Person ${prefix}000${n}`);
    await expect(held).not.toContainText(`Person ${prefix}0005`);
    await expect(held).toContainText("Disable");
    await expect(page.getByTestId("last-cycle")).toContainText("5 held for review");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "provisioning-held-deletes");
    await page.getByTestId("confirm-go").click();

    // The five are disabled in the target, the other three stay active, the notice goes.
    await expect
      .poll(async () => [...(await targetUsers(port, prefix)).entries()].filter(([, active]) => !active).map(([u]) => u).sort(), {
        timeout: 30_000,
      })
      .toEqual([0, 1, 2, 3, 4].map((n) => `${prefix}000${n}@example.com`));
    await expect(page.getByTestId("held-notice")).toHaveCount(0);
    await expect(page.getByTestId("job-state")).toHaveText("Idle");
    expect((await targetUsers(port, prefix)).size).toBe(8);
  } finally {
    execFileSync("kill", [pid]);
  }
});

test("an admin sets how long provisioning logs are kept", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/settings");
  await hydrated(page);
  const card = page.getByTestId("log-retention");
  await expect(card.getByTestId("retention-days")).toHaveText("30 days");
  const days = card.getByLabel("Retention (days)");
  // Not a period: said next to the field, nothing saved.
  await days.fill("0");
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.locator(".field-error")).toContainText("from 1 to 3650");
  await expect(card.getByTestId("retention-days")).toHaveText("30 days");
  await days.fill("14");
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.getByTestId("retention-days")).toHaveText("14 days");
  await expect(card.getByText("Retention saved")).toBeVisible();
  await shot(page, "settings-log-retention");
  // Kept after a reload; emptied, the configured default is back.
  await page.reload();
  await hydrated(page);
  await expect(card.getByTestId("retention-days")).toHaveText("14 days");
  await card.getByLabel("Retention (days)").fill("");
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.getByTestId("retention-days")).toHaveText("30 days");
});
