import { expect, test } from "@playwright/test";
import { execFileSync, execSync } from "node:child_process";
import { freePort, hydrated, shot, signIn, targets } from "./fixtures";

test("adds a custom SCIM application, tests its credentials against scim2-server and saves them", async ({ page }) => {
  const port = await freePort();
  const pid = execFileSync(`${targets()}/scim2-server/start.sh`, [String(port), "--token", "right-token"]).toString().trim();
  try {
    await signIn(page);
    await expect(page.getByTestId("signed-in-admin")).toBeVisible();
    await page.goto("/applications");
    await page.getByRole("link", { name: "New application" }).click();
    await hydrated(page);
    const tiles = page.getByTestId("gallery-tiles");
    for (const name of ["Xledger", "Klaxoon", "xMatters", "AlexisHR"]) {
      await expect(tiles).toContainText(name);
    }
    await page.getByLabel("Search applications").fill("klax");
    await expect(tiles.getByRole("listitem")).toHaveCount(1);
    await page.getByLabel("Search applications").fill("");
    await shot(page, "application-gallery");
    await tiles.getByRole("button").filter({ hasText: /custom|own/i }).first().click();
    const name = `HR portal ${Date.now()}`;
    await page.getByLabel("Name").fill(name);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page).toHaveURL(/\/applications\/[0-9a-f-]{36}$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await hydrated(page);

    const url = page.getByLabel("Tenant URL");
    const token = page.getByLabel("Secret Token");
    const result = page.getByTestId("test-result");
    // A wrong token: refused at authentication.
    await url.fill(`http://127.0.0.1:${port}/v2`);
    await token.fill("wrong-token");
    await page.getByRole("button", { name: "Test Connection" }).click();
    await expect(result).toContainText("failed at: Authentication");
    await expect(result).toContainText("HTTP 401");
    // Nothing listening: refused at TCP connect.
    const closed = await freePort();
    await url.fill(`http://127.0.0.1:${closed}/v2`);
    await token.fill("right-token");
    await page.getByRole("button", { name: "Test Connection" }).click();
    await expect(result).toContainText("failed at: TCP connect");
    // The right ones succeed, then are saved; the secret is never shown again.
    await url.fill(`http://127.0.0.1:${port}/v2`);
    await page.getByRole("button", { name: "Test Connection" }).click();
    await expect(result).toContainText("Test Connection succeeded");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "application-test-connection");
    await page.getByRole("button", { name: "Save credentials" }).click();
    await expect(page.getByText("Saved", { exact: true })).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel("Tenant URL")).toHaveValue(`http://127.0.0.1:${port}/v2`);
    await expect(page.getByLabel("Secret Token")).toHaveValue("");
    await expect(page.getByText("Stored", { exact: true })).toBeVisible();
    expect(await page.content()).not.toContain("right-token");
    // With the secret left empty, Test Connection uses the stored one.
    await page.getByRole("button", { name: "Test Connection" }).click();
    await expect(page.getByTestId("test-result")).toContainText("Test Connection succeeded");

    // Settings: scope and the deletion threshold, kept after a reload.
    await page.getByLabel("Scope", { exact: true }).selectOption("all");
    await page.getByLabel("Accidental deletion threshold").fill("25");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Settings saved")).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel("Scope", { exact: true })).toHaveValue("all");
    await expect(page.getByLabel("Accidental deletion threshold")).toHaveValue("25");

    // App roles: add one for the assignments below.
    await page.getByLabel("App roles").fill("User, Commander");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByLabel("Role", { exact: true }).locator("option")).toHaveText(["User", "Commander"]);

    // A user and a group to assign (and to test the mapping against).
    const stamp = Date.now();
    const appUrl = page.url();
    await page.goto("/users/new");
    await hydrated(page);
    await page.getByLabel("User name").fill(`mae.jemison.${stamp}@nasa.example`);
    await page.getByLabel("First name").fill("Mae");
    await page.getByLabel("Last name").fill(`Jemison ${stamp}`);
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);
    await page.goto("/groups/new");
    await hydrated(page);
    await page.getByLabel("Name").fill(`Astronauts ${stamp}`);
    await page.getByRole("button", { name: "Create group" }).click();
    await expect(page).toHaveURL(/\/groups\/[0-9a-f-]{36}$/);

    // Attribute mappings: displayName becomes an expression, tested against Mae.
    await page.goto(appUrl);
    await hydrated(page);
    await page.getByRole("link", { name: "Provision users" }).click();
    await expect(page).toHaveURL(/\/mappings\?object=users$/);
    await hydrated(page);
    const table = page.getByTestId("mapping-table");
    await expect(table.locator("tr[data-target='userName']")).toContainText("Precedence 1");
    await table.getByRole("button", { name: "Edit displayName" }).click();
    const form = page.getByTestId("mapping-form");
    await form.getByLabel("Mapping type").selectOption("expression");
    const expression = form.getByLabel("Expression", { exact: true });
    await expression.fill('Join(" ", [givenName], [surname]');
    await form.getByTestId("mapping-ok").click();
    await expect(form.getByTestId("mapping-form-error")).toContainText("does not parse");
    await expression.fill('Join(" ", [givenName], [surname])');
    await expect(form.getByTestId("expression-ok")).toBeVisible();
    await form.getByLabel("Test with a directory user").fill(`mae.jemison.${stamp}@nasa.example`);
    await form.getByRole("button", { name: "Test mapping" }).click();
    await expect(form.getByTestId("mapping-test-result")).toContainText(`Steward sends Mae Jemison ${stamp}`);
    await shot(page, "mapping-editor");
    await form.getByTestId("mapping-ok").click();
    await expect(table.locator("tr[data-target='displayName']")).toContainText("Expression");
    await expect(page.getByTestId("save-bar")).toContainText("re-evaluates every user and group");

    // A scoping filter, previewed before saving: only Mae passes it.
    await page.getByTestId("add-filter").click();
    const clause = page.getByTestId("scope-clause").first();
    await clause.getByLabel("Attribute").selectOption("surname");
    await clause.getByLabel("Value").fill(`Jemison ${stamp}`);
    await clause.getByLabel("Value").press("Tab");
    await page.getByTestId("preview-scope").click();
    await expect(page.getByTestId("scope-preview")).toContainText("1 in scope");
    await expect(page.getByTestId("scope-preview")).toContainText(`Mae Jemison ${stamp}`);
    await page.getByTestId("save-mappings").click();
    await expect(page.getByTestId("full-sync-pending")).toBeVisible();
    await expect(page.getByText("Edited mappings.")).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("mapping-table").locator("tr[data-target='displayName']")).toContainText("[givenName]");
    await expect(page.getByTestId("scope-clause").getByLabel("Value")).toHaveValue(`Jemison ${stamp}`);
    await shot(page, "mapping-scope");

    // Assign the user and the group, the group with the added role.
    await page.goto(appUrl);
    await hydrated(page);
    await expect(page.getByTestId("no-assignments")).toBeVisible();
    await page.getByLabel("Assign users and groups").fill(`Jemison ${stamp}`);
    await page.getByRole("button", { name: `Assign Mae Jemison ${stamp}` }).click();
    const assigned = page.getByTestId("assignments-table");
    await expect(assigned.getByRole("row").filter({ hasText: `Mae Jemison ${stamp}` })).toContainText("User");
    await page.getByLabel("Role", { exact: true }).selectOption("Commander");
    await page.getByLabel("Assign users and groups").fill(`Astronauts ${stamp}`);
    await page.getByRole("button", { name: `Assign Astronauts ${stamp}` }).click();
    await expect(assigned.getByRole("row").filter({ hasText: `Astronauts ${stamp}` })).toContainText("Commander");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "application-assignments");

    // Provision Mae on demand, on the provisioning page: created in scim2-server, then
    // nothing to send the second time.
    await page.goto(`${appUrl}/provisioning`);
    await hydrated(page);
    await page.getByLabel("User or group to provision").fill(`Mae Jemison ${stamp}`);
    await page.getByTestId("on-demand-candidates").getByRole("button", { name: "Select" }).first().click();
    await page.getByTestId("on-demand-go").click();
    const run = page.getByTestId("on-demand-result");
    await expect(run).toContainText("Create: success");
    await expect(page.getByTestId("on-demand-run")).toContainText("In scope: a scoping filter admits the user.");
    await expect(run).toContainText("account");
    await run.scrollIntoViewIfNeeded();
    await shot(page, "provision-on-demand");
    await page.getByTestId("on-demand-go").click();
    await expect(run).toContainText("Other: skipped");
    await expect(page.getByTestId("on-demand-run")).toContainText("no request sent");
    await page.goto(appUrl);
    await hydrated(page);
    await assigned.getByRole("button", { name: `Remove Mae Jemison ${stamp}` }).click();
    await expect(assigned.getByRole("row").filter({ hasText: `Mae Jemison ${stamp}` })).toHaveCount(0);

    // The audit log, filtered to mapping changes, shows what changed.
    await page.goto(`/audit-logs?action=application.mappings&target=${encodeURIComponent(name)}`);
    const audit = page.getByTestId("audit-table");
    await expect(audit.getByRole("row").filter({ hasText: "application.mappings" })).toHaveCount(1);
    await audit.getByText(/changed value/).click();
    const changes = audit.locator(".audit-changes");
    await expect(changes).toContainText("users.scope[0]");
    await expect(changes).toContainText(`Jemison ${stamp}`);
    await expect(changes).toContainText("users.attributes[2].expression");
    await shot(page, "audit-mapping-change");

    await page.goto("/applications");
    await expect(page.getByTestId("applications-table")).toContainText(name);
  } finally {
    execSync(`kill ${pid}`);
  }
});
