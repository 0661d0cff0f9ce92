import { expect, test } from "@playwright/test";
import { ADMIN, NAV, hydrated, shot, signIn } from "./fixtures";

test("signs in, visits every navigation entry and signs out", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && consoleErrors.push(m.text()));
  const failedRequests: string[] = [];
  page.on("response", (r) => r.status() >= 400 && failedRequests.push(`${r.status()} ${new URL(r.url()).pathname}`));

  await page.goto("/users");
  await expect(page).toHaveURL(/\/sign-in\?next=\/users$/);
  await hydrated(page);
  await shot(page, "sign-in");

  // A wrong password gets the generic message, on the same page.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("definitely wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await shot(page, "sign-in-error");

  // The right one lands on the page the admin first asked for.
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByTestId("signed-in-admin")).toContainText(ADMIN.name);
  await expect(page.getByTestId("signed-in-admin")).toContainText("Global Administrator");

  const nav = page.getByRole("navigation", { name: "Main" });
  for (const entry of NAV) {
    await nav.getByRole("link", { name: entry.label, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${entry.path === "/" ? "/$" : entry.path + "$"}`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(entry.heading);
    await expect(nav.getByRole("link", { name: entry.label, exact: true })).toHaveAttribute("aria-current", "page");
    await shot(page, `page-${entry.path === "/" ? "overview" : entry.path.slice(1)}`);
  }

  // The audit log shows this successful sign-in and, just before it, the failed one.
  await nav.getByRole("link", { name: "Audit logs" }).click();
  const rows = page.getByTestId("audit-table").locator("tbody tr");
  await expect(rows.nth(0)).toContainText("admin.sign_in");
  await expect(rows.nth(0)).toContainText("Success");
  await expect(rows.nth(1)).toContainText("admin.sign_in");
  await expect(rows.nth(1)).toContainText("Failure");
  await expect(rows.nth(1)).toContainText("The email or password is incorrect.");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/sign-in\?next=\/settings$/);

  expect(consoleErrors).toEqual([]);
  // The only failed request is the wrong password.
  expect(failedRequests).toEqual(["401 /api/sign_in"]);
});

test("unknown pages show the 404 page inside the portal", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toContainText("/no/such/page");
  await expect(page.getByTestId("not-found")).toContainText("NAV-0404");
  await shot(page, "not-found");
});

test("is keyboard navigable", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/");
  await hydrated(page);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#content$/);
  // Tabbing through reaches every navigation link.
  await page.goto("/");
  await hydrated(page);
  const reached = new Set<string>();
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press("Tab");
    const text = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? "");
    reached.add(text);
  }
  for (const entry of NAV) expect(reached).toContain(entry.label);
});

test("fits a narrow window", async ({ page }) => {
  await page.setViewportSize({ width: 420, height: 860 });
  await page.goto("/sign-in");
  await hydrated(page);
  await shot(page, "narrow-sign-in");
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeAttached();
  await page.goto("/settings");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Settings");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toBeVisible();
  await shot(page, "narrow-settings");
});
