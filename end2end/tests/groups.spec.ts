import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("creates a group, adds a user and a nested group with the picker, edits and deletes it", async ({ page }) => {
  const stamp = Date.now();
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();

  // A user to add.
  const userName = `dorothy.vaughan.${stamp}@nasa.example`;
  await page.goto("/users/new");
  await hydrated(page);
  await page.getByLabel("User name").fill(userName);
  await page.getByLabel("First name").fill("Dorothy");
  await page.getByLabel("Last name").fill(`Vaughan ${stamp}`);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);

  // A group to nest.
  const inner = `Programmers ${stamp}`;
  await page.goto("/groups/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(inner);
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page).toHaveURL(/\/groups\/[0-9a-f-]{36}$/);

  // The group under test; its name must be unique, ignoring case.
  const name = `West Computers ${stamp}`;
  await page.goto("/groups/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(inner.toUpperCase());
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.locator("#display_name-error")).toContainText("already exists");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("Langley's human computers");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page).toHaveURL(/\/groups\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page.getByTestId("no-members")).toBeVisible();
  await hydrated(page);

  // Add the user and the nested group with the search picker.
  await page.getByLabel("Add members").fill(`Vaughan ${stamp}`);
  await page.getByRole("button", { name: `Add Dorothy Vaughan ${stamp}` }).click();
  const members = page.getByTestId("members-table");
  await expect(members.getByRole("row").filter({ hasText: userName })).toHaveCount(1);
  await page.getByLabel("Add members").fill(inner);
  await page.getByRole("button", { name: `Add ${inner}` }).click();
  await expect(members.getByRole("row").filter({ hasText: inner })).toHaveCount(1);
  await expect(page.getByRole("heading", { name: /Members \(2\)/ })).toBeVisible();
  // The member list filters on the server (groups may have many thousands of members).
  await page.getByLabel("Filter members").fill("vaughan");
  await expect(page.getByTestId("member-count")).toHaveText("(1 match)");
  await expect(members.getByRole("row")).toHaveCount(2);
  await page.getByLabel("Filter members").fill("");
  await expect(members.getByRole("row")).toHaveCount(3);
  // Members already in the group are not offered again.
  await page.getByLabel("Add members").fill(`Vaughan ${stamp}`);
  await expect(page.getByText("No users or groups match")).toBeVisible();
  await shot(page, "group-detail");

  // Remove one, rename the group.
  await page.getByRole("button", { name: `Remove ${inner}` }).click();
  await expect(members.getByRole("row").filter({ hasText: inner })).toHaveCount(0);
  await page.getByLabel("Name").fill(`${name} (renamed)`);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${name} (renamed)`);

  // The list shows it with its member count.
  await page.goto(`/groups?q=${encodeURIComponent(String(stamp))}`);
  const row = page.getByTestId("groups-table").getByRole("row").filter({ hasText: `${name} (renamed)` });
  await expect(row).toContainText("1");
  await shot(page, "groups-list");

  // Delete it.
  await row.getByRole("link").click();
  await hydrated(page);
  await page.getByText("Delete this group…").click();
  await page.getByRole("button", { name: `Delete ${name} (renamed)` }).click();
  await expect(page).toHaveURL(/\/groups$/);
  await page.goto(`/groups?q=${encodeURIComponent(`${name} (renamed)`)}`);
  await expect(page.getByTestId("no-match")).toBeVisible();
});

test("creates a SCIM token, shows it once, and revokes it", async ({ page, request }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/settings");
  await hydrated(page);
  const name = `Workday ${Date.now()}`;
  await page.getByLabel("New token for").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-scim-token").locator("code").textContent())!.trim();
  expect(token).toMatch(/^stw_/);
  const row = page.getByTestId("scim-tokens-table").getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Live");
  await shot(page, "settings-scim-tokens");

  // The token works against the endpoint, until it is revoked.
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  expect((await request.get("/scim/v2/Users?count=1", auth)).status()).toBe(200);
  await row.getByText("Revoke…").click();
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("Revoked");
  expect((await request.get("/scim/v2/Users?count=1", auth)).status()).toBe(401);
});
