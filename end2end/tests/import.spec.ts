import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("imports users and memberships from CSV with a preview, then exports them", async ({ page }) => {
  const stamp = Date.now();
  const u = (name: string) => `${name}.${stamp}@import.example`;
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();

  // A group for the memberships file, and one existing user the file updates.
  await page.goto("/groups/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(`Imported ${stamp}`);
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page).toHaveURL(/\/groups\/[0-9a-f-]{36}$/);
  await page.goto("/users/new");
  await hydrated(page);
  await page.getByLabel("User name").fill(u("mary"));
  await page.getByLabel("First name").fill("Mary");
  await page.getByLabel("Last name").fill("Jackson");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);

  const csv = [
    "userName,givenName,familyName,email,department,manager,shoe size",
    `${u("ada")},Ada,Lovelace,${u("ada")},Research,${u("grace")},40`,
    `${u("grace")},Grace,Hopper,${u("grace")},Research,,38`,
    `${u("mary")},Mary,Jackson,,Engineering,,39`,
    `${u("bad")},Bad,Email,not-an-email,,,`,
    `${u("ada")},Ada,Again,,,,`,
    `,No,UserName,,,,`,
  ].join("\n");
  await page.goto("/users/import");
  await page.getByLabel("CSV file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page).toHaveURL(/\/users\/import\/[0-9a-f-]{36}$/);
  const counts = page.getByTestId("import-counts");
  await expect(counts).toContainText("2to create");
  await expect(counts).toContainText("1to update");
  await expect(counts).toContainText("3rejected");
  await expect(page.getByText("ignored: shoe size")).toBeVisible();
  const rows = page.getByTestId("import-rows");
  await expect(rows.getByRole("row").filter({ hasText: u("bad") })).toContainText("not-an-email");
  await expect(rows.getByRole("row").filter({ hasText: "also on line 2" })).toHaveCount(1);
  await expect(rows.getByRole("row").filter({ hasText: "userName is empty" })).toHaveCount(1);
  await shot(page, "import-preview");

  await hydrated(page);
  await page.getByRole("button", { name: "Apply 3 changes" }).click();
  await expect(page.getByRole("heading", { name: "Import finished" })).toBeVisible();
  await expect(page.getByTestId("import-progress")).toContainText("3 of 3 rows (100%) · 3 written");
  await shot(page, "import-finished");

  // The users exist, with the manager from the same file and the update applied.
  await page.goto(`/users?q=${stamp}`);
  const table = page.getByTestId("users-table");
  await expect(table.getByRole("row")).toHaveCount(4); // header + 3
  await expect(page.getByTestId("users-range")).toHaveText("1–3 of 3");

  // Memberships: two rows add, one names a group that does not exist.
  const memberships = [
    "group,userName",
    `Imported ${stamp},${u("ada")}`,
    `Imported ${stamp},${u("grace")}`,
    `Nowhere ${stamp},${u("mary")}`,
  ].join("\n");
  await page.goto("/users/import?kind=memberships");
  await page.getByLabel("CSV file").setInputFiles({ name: "members.csv", mimeType: "text/csv", buffer: Buffer.from(memberships) });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page.getByTestId("import-counts")).toContainText("2to add");
  await expect(page.getByTestId("import-rows")).toContainText(`there is no group named "Nowhere ${stamp}"`);
  await hydrated(page);
  await page.getByRole("button", { name: "Apply 2 changes" }).click();
  await expect(page.getByRole("heading", { name: "Import finished" })).toBeVisible();
  await page.goto(`/groups?q=Imported ${stamp}`);
  await expect(page.getByTestId("groups-table").getByRole("row").filter({ hasText: `Imported ${stamp}` })).toContainText("2");

  // The export of the search holds the three users with their manager by userName.
  const response = await page.request.get(`/api/export/users.csv?q=${stamp}`);
  expect(response.status()).toBe(200);
  const text = await response.text();
  const lines = text.trim().split("\n");
  // The built-in columns, then any custom attributes the tenant defines.
  expect(lines[0].startsWith("userName,externalId,displayName,givenName,familyName,email,title,department,employeeNumber,costCenter,organization,division,phone,active,manager")).toBe(true);
  expect(lines).toHaveLength(4);
  expect(lines.find((l) => l.startsWith(u("ada")))).toContain(`,Research,,,,,,true,${u("grace")}`);
  expect(lines.find((l) => l.startsWith(u("mary")))).toContain(",Engineering,");

  // A file that is not CSV with a userName column comes back with the reason.
  await page.goto("/users/import");
  await page.getByLabel("CSV file").setInputFiles({ name: "wrong.csv", mimeType: "text/csv", buffer: Buffer.from("name;mail\nx;y\n") });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page.getByTestId("import-error")).toContainText("no userName column");
});
