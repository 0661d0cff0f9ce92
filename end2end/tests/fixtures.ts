import { expect, Page } from "@playwright/test";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/** The shared SCIM targets: $SCIM_TARGETS_DIR, beside the repository, or /work/shared. */
export function targets(): string {
  for (const dir of [process.env.SCIM_TARGETS_DIR, "../../shared/targets", "/work/shared/targets"]) {
    if (dir && existsSync(`${dir}/scim2-server/start.sh`)) return dir;
  }
  throw new Error("the shared SCIM targets (scim2-server) were not found: set SCIM_TARGETS_DIR");
}

/** A TCP port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

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
