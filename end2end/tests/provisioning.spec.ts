import { Browser, expect, Page, request as playwrightRequest, test } from "@playwright/test";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { baseURL } from "../playwright.config";
import { application, freePort, hydrated, shot, signIn, targets, token, users } from "./fixtures";

/** A signed-in admin's second browser, as another person in another place would have. */
async function secondAdmin(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  return page;
}

/** Python's aiosmtpd on `port`, delivering every message into a Maildir under `dir`. */
function smtpServer(port: number, dir: string): ChildProcess {
  const venv = process.env.SCIM_TARGETS_VENV ?? `${homedir()}/.cache/scim-targets/venv`;
  return spawn(`${venv}/bin/python`, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", `${dir}/mail`], {
    stdio: "ignore",
  });
}

/** The messages delivered so far. */
function mails(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ["new", "cur"]) {
    try {
      for (const f of readdirSync(`${dir}/mail/${sub}`)) out.push(readFileSync(`${dir}/mail/${sub}/${f}`, "utf8"));
    } catch {
      // No message yet.
    }
  }
  return out;
}

test("two admins watch provisioning live; on demand shows its steps; a wrong token quarantines", async ({ page, browser }) => {
  test.setTimeout(240_000);
  const port = await freePort();
  const pid = execFileSync(`${targets()}/scim2-server/start.sh`, [String(port), "--token", "right-token"]).toString().trim();
  const stamp = Date.now();
  let smtp: ChildProcess | undefined;
  try {
    await signIn(page);
    await expect(page.getByTestId("signed-in-admin")).toBeVisible();
    const apiToken = await token(page, "api", `e2e api ${stamp}`);
    const scimToken = await token(page, "scim", `e2e scim ${stamp}`);
    const api = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${apiToken}` } });
    const scim = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${scimToken}` } });
    const total = 1200;
    await users(scim, `p${stamp}-`, total);
    const name = `Wiki ${stamp}`;
    const id = await application(api, name, `http://127.0.0.1:${port}/v2`, "right-token");

    // Both admins open the application's provisioning page: Off, nothing provisioned yet.
    const other = await secondAdmin(browser);
    for (const p of [page, other]) {
      await p.goto(`/applications/${id}/provisioning`);
      await hydrated(p);
      await expect(p.getByTestId("live-state")).toHaveText("Live");
      await expect(p.getByTestId("provisioning-status")).toHaveText("Off");
      await expect(p.getByTestId("log-row")).toHaveCount(0);
    }
    await shot(page, "provisioning-off");

    // Provision on demand before anything runs: search, select, and the steps appear one by
    // one; the action step opens on the request sent and the answer.
    await page.getByLabel("User or group to provision").fill(`Person p${stamp}-0003`);
    await page.getByTestId("on-demand-candidates").getByRole("button", { name: "Select" }).first().click();
    await page.getByTestId("on-demand-go").click();
    await expect(page.getByTestId("on-demand-result")).toContainText("Create: success");
    const run = page.getByTestId("on-demand-run");
    for (const step of ["Import from the directory", "Determine if in scope", "Match in the application", "Perform action"]) {
      await expect(run).toContainText(step);
    }
    await page.locator("[data-step=action] summary").click();
    await expect(page.locator("[data-step=action] .json")).toContainText(`p${stamp}-0003@example.com`);
    await expect(page.locator("[data-step=action] .json")).toContainText('"response"');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "provision-on-demand-steps");
    // The other admin sees its log entry arrive.
    await expect(other.getByTestId("log-row").first()).toContainText(`Person p${stamp}-0003`);

    // The first admin turns provisioning on, after reading what it will do.
    await page.getByRole("button", { name: "Turn on…" }).click();
    await expect(page.getByTestId("confirm")).toContainText("initial cycle");
    await page.getByTestId("confirm-go").click();

    // The second admin, without reloading, sees the cycle run: the progress bar advances
    // part way, then the cycle completes; entries arrive in both browsers.
    await expect(other.getByTestId("provisioning-status")).toHaveText("On");
    const seen = new Set<number>();
    await expect
      .poll(
        async () => {
          const done = other.getByTestId("progress-done");
          if ((await done.count()) > 0) {
            const n = Number((await done.first().innerText()).replace(/,/g, ""));
            if (n > 0 && n < total) seen.add(n);
          }
          return seen.size;
        },
        { timeout: 60_000, intervals: [50] },
      )
      .toBeGreaterThan(0);
    await shot(other, "provisioning-running");
    // (Other tests' users share the directory: every user is in scope, so at least ours.)
    await expect(other.getByTestId("last-cycle")).toContainText("Initial cycle · Completed", { timeout: 120_000 });
    await expect(other.getByTestId("job-state")).toHaveText("Idle");
    const provisioned = Number((await other.getByTestId("users-provisioned").innerText()).replace(/,/g, ""));
    expect(provisioned).toBeGreaterThanOrEqual(total);
    for (const p of [page, other]) {
      await expect(p.getByTestId("log-row").first()).toContainText("Create");
      await expect(p.getByTestId("log-row").first()).toContainText("success");
    }
    await other.evaluate(() => window.scrollTo(0, 0));
    await shot(other, "provisioning-idle");

    // A change in the directory reaches the application within seconds, and both see it.
    const someone = `p${stamp}-0007@example.com`;
    const found = await (await scim.get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${someone}"`)}`)).json();
    const patched = await scim.patch(`/scim/v2/Users/${found.Resources[0].id}`, {
      data: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "displayName", value: "Renamed Person" }],
      },
    });
    expect(patched.status()).toBe(200);
    for (const p of [page, other]) {
      await expect(p.getByTestId("log-row").filter({ hasText: "Update" }).first()).toContainText("Renamed Person", { timeout: 20_000 });
    }

    // The logs page: filtered to this application and to updates; an entry opens with tabs.
    await page.goto(`/provisioning-logs?app=${id}&action=update`);
    await hydrated(page);
    await expect(page.getByTestId("log-row")).toHaveCount(1);
    await expect(page.getByTestId("log-row")).toContainText("Renamed Person");
    await shot(page, "provisioning-logs");
    await page.getByTestId("log-row").getByRole("link").click();
    await hydrated(page);
    await expect(page.getByTestId("detail-tabs")).toBeVisible();
    await page.getByRole("tab", { name: "Modified properties" }).click();
    await expect(page.getByTestId("modified")).toContainText("displayName");
    await expect(page.getByTestId("modified")).toContainText("Renamed Person");
    await shot(page, "provisioning-log-detail");
    // The filtered view exports as CSV (with the admin's session).
    const csv = await page.evaluate(async (app) => (await fetch(`/api/provisioning-logs/export.csv?app=${app}&action=update`)).text(), id);
    expect(csv.split("\n")[0]).toContain("id,time,application");
    expect(csv).toContain("Renamed Person");

    // The overview shows the application's state.
    await page.goto("/");
    await hydrated(page);
    await expect(page.getByTestId("application-state").filter({ hasText: name })).toContainText("Idle");
    await expect(page.getByTestId("activity-chart")).toBeVisible();
    await shot(page, "overview");

    // Email through a real SMTP server, configured in Settings.
    const smtpPort = await freePort();
    const maildir = mkdtempSync(`${tmpdir()}/steward-mail-`);
    smtp = smtpServer(smtpPort, maildir);
    await page.goto("/settings");
    await hydrated(page);
    const card = page.getByTestId("email-notifications");
    await card.getByLabel("SMTP host").fill("127.0.0.1");
    await card.getByLabel("Security").selectOption("none");
    await card.getByLabel("Port").fill(String(smtpPort));
    await card.getByLabel("From address").fill("Steward <steward@example.com>");
    await expect(async () => {
      await card.getByRole("button", { name: "Save" }).click();
      await expect(card.getByText("SMTP settings saved")).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 20_000 });

    // A wrong token: the job is quarantined, says why, and the application's notification
    // address gets one email (not one per user, not one per attempt).
    const broken = await application(api, `Broken ${stamp}`, `http://127.0.0.1:${port}/v2`, "wrong-token");
    const current = await (await api.get(`/api/v1/applications/${broken}`)).json();
    const notify = await api.put(`/api/v1/applications/${broken}/settings`, {
      data: { version: current.version, settings: { ...current.settings, notify_on_failure: true, notification_email: "ops@example.com" } },
    });
    expect(notify.status()).toBe(200);
    await page.goto(`/applications/${broken}/provisioning`);
    await hydrated(page);
    await page.getByRole("button", { name: "Turn on…" }).click();
    await page.getByTestId("confirm-go").click();
    await expect(page.getByTestId("job-state")).toHaveText("Quarantined", { timeout: 30_000 });
    await expect(page.getByTestId("quarantine")).toContainText("ENG-AUTH");
    await expect(page.getByTestId("quarantine")).toContainText("Next attempt");
    await shot(page, "provisioning-quarantined");
    await expect.poll(() => mails(maildir).length, { timeout: 30_000 }).toBe(1);
    expect(mails(maildir)[0]).toContain(`Broken ${stamp}`);
    expect(mails(maildir)[0]).toContain("ops@example.com");
    // Another attempt fails the same way: still one email.
    const attempts = Number((await (await api.get(`/api/v1/applications/${broken}/job`)).json()).quarantine.attempts);
    expect((await api.post(`/api/v1/applications/${broken}/job/run`)).status()).toBe(200);
    await expect
      .poll(async () => Number((await (await api.get(`/api/v1/applications/${broken}/job`)).json()).quarantine?.attempts ?? 0), { timeout: 30_000 })
      .toBeGreaterThan(attempts);
    await page.waitForTimeout(3_000);
    expect(mails(maildir)).toHaveLength(1);
    await page.goto("/");
    await expect(page.getByTestId("application-state").first()).toContainText(`Broken ${stamp}`);
    await other.context().close();
  } finally {
    smtp?.kill();
    execFileSync("kill", [pid]);
  }
});
