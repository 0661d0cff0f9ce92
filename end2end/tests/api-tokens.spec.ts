import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("creates an API token with a role, shows it once, and revokes it", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/settings");
  await hydrated(page);
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page).toHaveURL(/\/settings\/api-tokens$/);
  await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();
  await hydrated(page);

  const name = `Terraform ${Date.now()}`;
  await page.getByLabel("New token for").fill(name);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Global Administrator" });
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-api-token");
  await expect(shown).toContainText("will not be shown again");
  const token = (await shown.locator("code").textContent())!.trim();
  expect(token).toMatch(/^stw_api_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId("api-tokens-table").getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Global Administrator");
  await expect(row).toContainText("Live");
  await expect(row).toContainText("Never");
  await expect(row).toContainText(token.slice(0, "stw_api_".length + 6));
  await expect(row).not.toContainText(token);
  await shot(page, "settings-api-tokens");

  // Shown once: after a reload only its first characters are left.
  await page.reload();
  await hydrated(page);
  await expect(row).toContainText("Live");
  await expect(page.getByTestId("new-api-token")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  await row.getByText("Revoke…").click();
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("Revoked");
  await expect(row.getByText("Revoke…")).toHaveCount(0);

  // Both steps are in the audit log.
  await page.goto("/audit-logs");
  await expect(page.getByText("api_token.create").first()).toBeVisible();
  await expect(page.getByText("api_token.revoke").first()).toBeVisible();
});
