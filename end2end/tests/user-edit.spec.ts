import { expect, Page, test } from "@playwright/test";
import { hydrated, shot as fullPageShot, signIn } from "./fixtures";

/** A full-page shot from the top: scrolled down, the sticky top bar lands mid-page. */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPageShot(page, name);
}

async function createUser(page: Page, userName: string, first: string, last: string, department = "") {
  await page.goto("/users/new");
  await hydrated(page);
  await page.getByLabel("User name").fill(userName);
  await page.getByLabel("First name").fill(first);
  await page.getByLabel("Last name").fill(last);
  if (department) await page.getByLabel("Department").fill(department);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname;
}

test("edits a user, picks their manager, and deletes them for good from the recycle bin", async ({ page }) => {
  const stamp = Date.now();
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();

  const managerName = `mary.jackson.${stamp}@nasa.example`;
  const manager = `Mary Jackson ${stamp}`;
  const managerPath = await createUser(page, managerName, "Mary", `Jackson ${stamp}`);
  const userName = `christine.darden.${stamp}@nasa.example`;
  const report = `Christine Darden ${stamp}`;
  const userPath = await createUser(page, userName, "Christine", `Darden ${stamp}`, "Aeronautics");

  // The edit form opens filled from the stored user.
  await hydrated(page);
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(new RegExp(`${userPath}/edit$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Edit ${report}`);
  await hydrated(page);
  await expect(page.getByLabel("User name")).toHaveValue(userName);
  await expect(page.getByLabel("Department")).toHaveValue("Aeronautics");

  // Change the department, add enterprise attributes, pick the manager with the search.
  await page.getByLabel("Department").fill("Supersonic Research");
  await page.getByLabel("Cost center").fill("4130");
  await page.getByLabel("Work phone").fill("+1 757 555 0100");
  await page.getByLabel("Time zone").fill("America/New_York");
  await page.getByLabel("Manager").fill(`Jackson ${stamp}`);
  const candidates = page.getByTestId("manager-candidates");
  await expect(candidates).toContainText(managerName);
  await expect(candidates).not.toContainText(userName); // never themself
  await shot(page, "user-edit-manager-search");
  await page.getByRole("button", { name: `Choose ${manager}` }).click();
  await expect(page.getByTestId("manager-chosen")).toContainText(manager);
  await shot(page, "user-edit");

  // A taken userName is reported next to the field; nothing else is lost.
  await page.getByLabel("User name").fill(managerName.toUpperCase());
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#user_name-error")).toContainText(`A user with userName "${managerName.toUpperCase()}" already exists`);
  await expect(page.getByTestId("manager-chosen")).toContainText(manager);
  await shot(page, "user-edit-errors");
  await page.getByLabel("User name").fill(userName);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(new RegExp(`${userPath}$`));

  // The user page shows the new department and the manager; the manager lists the report.
  const org = page.getByTestId("user-org");
  await expect(org).toContainText("Supersonic Research");
  await expect(page.getByTestId("user-manager")).toHaveText(manager);
  await expect(page.locator("pre")).toContainText('"costCenter": "4130"');
  await page.getByTestId("user-manager").getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`${managerPath}$`));
  await expect(page.getByTestId("direct-reports")).toContainText(report);
  await shot(page, "user-detail-org");

  // A chain of managers cannot loop: the report cannot manage their manager.
  await hydrated(page);
  await page.getByRole("link", { name: "Edit" }).click();
  await hydrated(page);
  await page.getByLabel("Manager").fill(`Darden ${stamp}`);
  await page.getByRole("button", { name: `Choose ${report}` }).click();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#manager_id-error")).toContainText("cannot loop");
  await page.getByRole("button", { name: "Clear the manager" }).click();
  await expect(page.getByLabel("Manager")).toBeVisible();

  // Delete the report, then delete them for good from the recycle bin.
  await page.goto(userPath);
  await hydrated(page);
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("user-facts")).toContainText("In the recycle bin");
  await expect(page.getByRole("link", { name: "Edit" })).toHaveCount(0);
  await page.getByText("Delete for good…").click();
  await shot(page, "user-delete-for-good");
  await page.getByRole("button", { name: `Delete ${report} for good` }).click();
  await expect(page).toHaveURL(/\/users\?bin=1$/);
  await page.goto(`/users?bin=1&q=${encodeURIComponent(userName)}`);
  await expect(page.getByTestId("no-match")).toBeVisible();
  await page.goto(userPath);
  await expect(page.getByTestId("error-code")).toHaveText("NAV-0404");
  await page.goto(managerPath);
  await expect(page.getByTestId("user-org")).toBeVisible();
  await expect(page.getByTestId("direct-reports")).toHaveCount(0);
});
