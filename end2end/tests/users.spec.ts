import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("creates a user, finds them in the list, disables and restores them", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/users");
  await page.getByRole("link", { name: "New user" }).click();
  await expect(page).toHaveURL(/\/users\/new$/);
  await hydrated(page);

  // Errors appear next to the field at fault.
  await page.getByLabel("Work email").fill("not an email");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.locator("#user_name-error")).toContainText("Enter a user name");
  await expect(page.locator("#email-error")).toContainText("name@example.com");
  await shot(page, "user-new-errors");

  const userName = `katherine.johnson.${Date.now()}@nasa.example`;
  await page.getByLabel("User name").fill(userName);
  await page.getByLabel("First name").fill("Katherine");
  await page.getByLabel("Last name").fill("Johnson");
  await page.getByLabel("Work email").fill(userName);
  await page.getByLabel("Department").fill("Flight Research");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Katherine Johnson");
  await expect(page.getByTestId("user-facts")).toContainText("Enabled");

  await hydrated(page);
  await page.getByRole("button", { name: "Disable sign-in" }).click();
  await expect(page.getByTestId("user-facts")).toContainText("Disabled");
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("user-facts")).toContainText("In the recycle bin");
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByTestId("user-facts")).toContainText("Disabled");

  await page.goto(`/users?q=${encodeURIComponent("katherine.johnson")}`);
  const table = page.getByTestId("users-table");
  await expect(table.getByRole("row").filter({ hasText: userName })).toHaveCount(1);
  await shot(page, "users-search");
});
