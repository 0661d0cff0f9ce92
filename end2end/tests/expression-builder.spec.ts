import { expect, test } from "@playwright/test";
import { hydrated, shot, signIn } from "./fixtures";

test("an expression with an error is underlined, fixed and tested in the browser", async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId("signed-in-admin")).toBeVisible();
  await page.goto("/settings");
  await page.getByRole("link", { name: "Expression builder" }).click();
  await expect(page).toHaveURL(/\/settings\/expression-builder$/);
  await hydrated(page);

  const editor = page.getByLabel("Expression", { exact: true });
  // Missing closing parenthesis: the message says what was expected and where.
  await editor.fill('ToLower(Join(".", [givenName], [surname])');
  const error = page.getByTestId("expression-error");
  await expect(error).toContainText("Line 1, column");
  await expect(error).toContainText("expected");
  await expect(page.getByTestId("error-mark")).toHaveCount(1);
  await expect(editor).toHaveAttribute("aria-invalid", "true");
  await shot(page, "expression-builder-error");

  // A wrong-case function name suggests the right one.
  await editor.fill('join(".", [givenName], [surname])');
  await expect(error).toContainText("Join");

  // Fix it: the error goes away and the attributes it reads are listed.
  await editor.fill('ToLower(Join(".", [givenName], [surname]))');
  await expect(page.getByTestId("expression-error")).toHaveCount(0);
  await expect(page.getByTestId("expression-ok")).toContainText("[givenName]");

  await page.getByRole("button", { name: "Test expression" }).click();
  await expect(page.getByTestId("expression-value")).toHaveText('"ada.lovelace"');

  // The result follows the sample attributes.
  await page.getByLabel("Sample attributes (JSON)").fill('{"givenName": "Grace", "surname": "Hopper"}');
  await expect(page.getByTestId("expression-value")).toHaveText('"grace.hopper"');

  // Functions from the catalogue are inserted at the cursor.
  await editor.fill("");
  await page.getByRole("searchbox", { name: "Search functions" }).fill("Coalesce");
  await page.getByRole("button", { name: /^Coalesce\(/ }).click();
  await expect(editor).toHaveValue(/^Coalesce\(/);
  await shot(page, "expression-builder");
});
