import { expect, Page } from "@playwright/test";

export const ADMIN = { email: "admin@example.com", password: "e2e admin password", name: "Avery Admin" };

export const NAV = [
  { label: "Overview", path: "/", heading: "Overview" },
  { label: "Users", path: "/users", heading: "Users" },
  { label: "Groups", path: "/groups", heading: "Groups" },
  { label: "Enterprise applications", path: "/applications", heading: "Enterprise applications" },
  { label: "Provisioning logs", path: "/provisioning-logs", heading: "Provisioning logs" },
  { label: "Audit logs", path: "/audit-logs", heading: "Audit logs" },
  { label: "Settings", path: "/settings", heading: "Settings" },
];

/** Waits until the WASM bundle has hydrated the page, so clicks run through Leptos. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

export async function signIn(page: Page, password = ADMIN.password) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}
