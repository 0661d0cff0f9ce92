import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("defines custom attributes and uses them in the user forms, the user page and CSV", async ({ page }) => {
  const stamp = Date.now();
  const badge = `badge${stamp}`;
  const level = `level${stamp}`;
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();

  await page.goto("/settings/attributes");
  await hydrated(page);
  await page.getByLabel("Name").fill(badge);
  await page.getByLabel("Description").fill("Lanyard colour");
  await page.getByRole("button", { name: "Add attribute" }).click();
  const table = page.getByTestId("attributes-table");
  await expect(table.getByRole("row").filter({ hasText: badge })).toContainText("Text");
  await page.getByLabel("Name").fill(level);
  await page.getByLabel("Type").selectOption("integer");
  await page.getByRole("button", { name: "Add attribute" }).click();
  await expect(table.getByRole("row").filter({ hasText: level })).toContainText("Whole number");
  // A built-in name is refused next to the field.
  await page.getByLabel("Name").fill("department");
  await page.getByRole("button", { name: "Add attribute" }).click();
  await expect(page.getByText("department is a built-in attribute")).toBeVisible();
  await shot(page, "custom-attributes");

  // The create form has the fields; a value of the wrong type is refused next to it.
  const userName = `hedy.${stamp}@custom.example`;
  await page.goto("/users/new");
  await hydrated(page);
  await page.getByLabel("User name").fill(userName);
  await page.getByLabel(badge).fill("green");
  await page.locator(`#custom-${level}`).evaluate((el: HTMLInputElement) => { el.type = "text"; });
  await page.getByLabel(level).fill("high");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`${level} must be a whole number`)).toBeVisible();
  await page.getByLabel(level).fill("3");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);
  const facts = page.getByTestId("custom-facts");
  await expect(facts).toContainText(`${badge}green`);
  await expect(facts).toContainText(`${level}3`);

  // CSV import sets them by column name; export writes them back.
  const csv = `userName,${badge}\n${userName},purple\n`;
  await page.goto("/users/import");
  await page.getByLabel("CSV file").setInputFiles({ name: "badges.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page.getByTestId("import-rows")).toContainText(`changes ${badge}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Apply 1 changes" }).click();
  await expect(page.getByRole("heading", { name: "Import finished" })).toBeVisible();
  const exported = await (await page.request.get(`/api/export/users.csv?q=${stamp}`)).text();
  const [header, row] = exported.trim().split("\n");
  expect(header.split(",")).toContain(badge);
  expect(row.split(",")[header.split(",").indexOf(badge)]).toBe("purple");

  // Removing the attribute removes its values.
  await page.goto("/settings/attributes");
  await hydrated(page);
  const badgeRow = page.getByTestId("attributes-table").getByRole("row").filter({ hasText: badge });
  await expect(badgeRow.getByRole("cell").nth(3)).toHaveText("1");
  await badgeRow.getByText("Remove…").click();
  await expect(badgeRow).toContainText("also removes its value from 1 users");
  await badgeRow.getByRole("button", { name: `Remove ${badge}` }).click();
  await expect(page.getByTestId("attributes-table").getByRole("row").filter({ hasText: badge })).toHaveCount(0);
  await page.goto(`/users?q=${stamp}`);
  await page.getByRole("link", { name: userName }).click();
  await expect(page.getByTestId("custom-facts")).not.toContainText(badge);
  await expect(page.getByTestId("custom-facts")).toContainText(`${level}3`);

  // Leave the tenant as it was for the other tests.
  await page.goto("/settings/attributes");
  await hydrated(page);
  const levelRow = page.getByTestId("attributes-table").getByRole("row").filter({ hasText: level });
  await levelRow.getByText("Remove…").click();
  await levelRow.getByRole("button", { name: `Remove ${level}` }).click();
  await expect(page.getByTestId("no-attributes")).toBeVisible();
});
