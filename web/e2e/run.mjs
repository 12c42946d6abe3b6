// End-to-end: a team's first month, in Debian's Chromium driven by
// playwright-core, against the real stack `make test` starts (API, worker,
// Temporal, PostgreSQL, FFmpeg, mail catcher; the LLM and TikTok simulators).
// register -> verify email -> create org -> connect TikTok (sandbox consent,
// then confirm the account on /tiktok/callback) ->
// create project -> generate a month -> approve a slot -> watch it render ->
// pass the publish gate -> see it published on the sandbox -> see its
// metrics; import a talk from a local video site and make a highlight a
// slot; then a viewer sees no approve buttons and the API refuses them,
// and the main pages fit a phone. A screenshot of each main page is saved
// in E2E_OUTPUT_DIR.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = required("E2E_BASE_URL");
const MAIL_API = required("E2E_MAIL_API_URL");
const TIKTOK = required("E2E_TIKTOK_URL");
const MEDIA = required("E2E_MEDIA_URL");
const OUT = required("E2E_OUTPUT_DIR");
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 375, height: 812 };
const PASSWORD = "pasta water salted like the sea 42";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (scripts/test.sh sets it)`);
  return value;
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  // Without these Chromium keeps dialling Google, which this network refuses.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

let step = "starting";
let current = null;
const consoleErrors = [];

async function newPage(viewport, storageState) {
  const context = await browser.newContext({ viewport, storageState });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${step}: ${m.text()}`));
  page.on("pageerror", (e) => consoleErrors.push(`${step}: ${e.message}`));
  page.on("dialog", (d) => d.accept());
  current = page;
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** The newest mail to `to` whose subject contains `subject`: its text. */
async function mailTo(to, subject) {
  for (let i = 0; i < 100; i++) {
    const mails = await (await fetch(`${MAIL_API}/email`)).json();
    const mail = mails
      .reverse()
      .find((m) => m.to.some((a) => a.address === to) && m.subject.includes(subject));
    if (mail) return mail.text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

function linkIn(text) {
  const match = text.match(/https?:\/\/\S+token=[\w-]+/);
  assert.ok(match, `a link with a token in:\n${text}`);
  return match[0];
}

async function register(page, name, email) {
  await page.goto(`${BASE}/register`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Waits until no part of the page is still loading. */
/** Saves the frame of the `<video>` at `at` seconds as `name`.png. */
async function frame(video, at, name) {
  // The page may re-render the player while it seeks (the pipeline moves on):
  // a seek that never lands is tried again on the element now on the page.
  for (let attempt = 1; ; attempt++) {
    await video.scrollIntoViewIfNeeded();
    const landed = await video.evaluate(async (v, t) => {
      v.pause();
      const painted = new Promise((r) => {
        // The frame is on screen once the compositor has it, not at "seeked".
        if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(() => r());
        setTimeout(r, 1500);
      });
      const seeked = new Promise((r) => {
        v.addEventListener("seeked", () => r(true), { once: true });
        setTimeout(() => r(false), 10_000);
      });
      v.currentTime = t;
      if (!(await seeked)) return false;
      await painted;
      return true;
    }, at);
    if (landed) break;
    assert.ok(attempt < 3, `the player never showed ${at} s for ${name}`);
  }
  await video.screenshot({ path: join(OUT, `${name}.png`) });
}

async function settled(page) {
  await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
}

async function nav(page, label) {
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
}

try {
  const stamp = Date.now();
  const owner = `owner-${stamp}@example.com`;
  const viewer = `viewer-${stamp}@example.com`;

  step = "register";
  let page = await newPage(LAPTOP);
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/login/);
  await shot(page, "00-sign-in");
  await register(page, "Ana Owner", owner);
  await page.waitForURL(/\/orgs\/new$/);

  step = "verify email";
  const verifyLink = linkIn(await mailTo(owner, "Confirm your email"));
  await page.goto(verifyLink);
  await page.getByText("Email confirmed").waitFor();

  step = "create org";
  await page.goto(`${BASE}/orgs/new`);
  await page.getByLabel("Organisation name").fill("Weeknight Kitchen");
  await page.getByRole("button", { name: "Create organisation" }).click();
  await page.waitForURL(/\/orgs\/[0-9a-f-]{36}$/);
  const orgId = page.url().split("/orgs/")[1];
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();

  step = "connect TikTok";
  await nav(page, "TikTok");
  await page.getByRole("button", { name: "Connect TikTok account" }).click();
  // Through the sandbox's consent and the API's callback to the web app's
  // confirmation page, which shows the account that consented.
  await page.waitForURL((url) => url.pathname === "/tiktok/callback", { timeout: 30_000 });
  await page.getByRole("heading", { name: "Link TikTok account Sandbox Creator to Weeknight Kitchen?" }).waitFor();
  await shot(page, "03-tiktok-confirm");
  await page.getByRole("button", { name: "Link account", exact: true }).click();
  await page.waitForURL((url) => url.pathname === `/orgs/${orgId}/tiktok`);
  await page.getByText("TikTok account connected").waitFor();
  await shot(page, "03-tiktok");

  step = "create project";
  await nav(page, "Projects");
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name").fill("Weeknight Pasta");
  await page.getByLabel("Niche").fill("quick pasta dinners");
  await page.getByLabel("Audience").fill("busy parents");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);

  step = "choose the TikTok account";
  const account = page.getByLabel("TikTok account");
  const firstAccount = await account.locator("option").nth(1).getAttribute("value");
  await account.selectOption(firstAccount);
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Saved").waitFor();
  await shot(page, "04-project");

  step = "generate a month";
  await page.getByRole("button", { name: "Generate month" }).click();
  await page.waitForURL(/\/plans\/[0-9a-f-]{36}$/);
  const slotLinks = page.locator('main a[href*="/slots/"]');
  await page.waitForFunction(
    () => document.querySelectorAll('main a[href*="/slots/"]').length >= 90,
    null,
    { timeout: 60_000 },
  );
  assert.equal(await slotLinks.count(), 90, "30 days x 3 slots");
  await page.getByText("ready", { exact: true }).first().waitFor({ timeout: 60_000 });
  await settled(page);
  await shot(page, "05-calendar");
  const calendarUrl = page.url();

  step = "add an image to the library";
  // Uploaded as another slot's background, named by its file: the library
  // finds it by that name for the first slot's scene.
  const still = join(OUT, "pasta-pot.png");
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "smptehdbars=s=1280x720", "-frames:v", "1", still]);
  await slotLinks.nth(1).click();
  await page.waitForURL(/\/slots\/[0-9a-f-]{36}$/);
  await page.getByLabel("Background image or clip").setInputFiles(still);
  await page.getByText("An uploaded image or clip plays behind the captions.").waitFor();
  rmSync(still);
  await page.goto(calendarUrl);
  await settled(page);

  step = "edit the scenes";
  await slotLinks.first().click();
  await page.waitForURL(/\/slots\/[0-9a-f-]{36}$/);
  const slotUrl = page.url();
  await page.getByRole("button", { name: "Edit scenes" }).click();
  await page.getByLabel("Scene 1 shows").selectOption("still");
  await page.getByLabel("Scene 1 search words").fill("pasta pot");
  await page.getByLabel("Scene 2 shows").selectOption("text_card");
  await page.getByRole("button", { name: "Save scenes" }).click();
  await page.getByText(/Scene 1 · Still image · finds “pasta pot”/).waitFor();
  await shot(page, "06c-scenes");

  step = "preview the slot";
  await page.getByRole("button", { name: "Make a preview" }).click();
  const preview = page.getByLabel("Preview video");
  await preview.waitFor({ timeout: 120_000 });
  const previewSize = await preview.evaluate(async (v) => {
    if (v.readyState < 1) await new Promise((r) => v.addEventListener("loadedmetadata", r, { once: true }));
    return [v.videoWidth, v.videoHeight];
  });
  assert.deepEqual(previewSize, [540, 960], "a 540x960 preview");
  await shot(page, "06d-preview");

  step = "approve a slot";
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await page.getByRole("button", { name: "Unapprove" }).waitFor();

  step = "watch it render";
  await page.getByRole("button", { name: "Schedule for TikTok" }).click();
  const rendering = page.getByRole("progressbar", { name: "Rendering" });
  await rendering.waitFor({ timeout: 30_000 });
  await shot(page, "06-rendering");
  const video = page.getByLabel("Rendered video");
  await video.waitFor({ timeout: 120_000 });
  // The signed link serves ranges: the player loads metadata and seeks.
  const playback = await video.evaluate(async (v) => {
    if (v.readyState < 1) await new Promise((r) => v.addEventListener("loadedmetadata", r, { once: true }));
    const duration = v.duration;
    v.currentTime = Math.min(1, duration / 2);
    await new Promise((r) => v.addEventListener("seeked", r, { once: true }));
    return { duration, at: v.currentTime };
  });
  assert.ok(playback.duration > 1, `a real video: ${JSON.stringify(playback)}`);
  assert.ok(playback.at > 0, `seeking works: ${JSON.stringify(playback)}`);
  // Frames of the video as a viewer sees them: the hook card, then a scene
  // with the word being said highlighted.
  await frame(video, 0.6, "06a-frame-hook-card");
  await frame(video, playback.duration * 0.55, "06b-frame-captions");
  // The first scene shows the library's image, past the hook card.
  await frame(video, 2.0, "06e-frame-library-still");

  step = "publish gate";
  const privacy = page.getByRole("group", { name: "Who can view this video" });
  await privacy.waitFor({ timeout: 60_000 });
  const radios = privacy.getByRole("radio");
  assert.ok((await radios.count()) >= 2, "privacy options come from the account");
  for (const radio of await radios.all()) assert.equal(await radio.isChecked(), false, "no privacy default");
  for (const toggle of ["Allow comments", "Allow duet", "Allow stitch"]) {
    assert.equal(await page.getByLabel(toggle).isChecked(), false, `${toggle} starts off`);
  }
  const publish = page.getByRole("button", { name: "Publish to TikTok" });
  await privacy.getByLabel("Everyone").check();
  assert.equal(await publish.isDisabled(), true, "consent is required");
  await page.getByLabel(/Music Usage Confirmation/).check();
  await page.getByLabel("Allow comments").check();
  await page.getByLabel("Post now instead of at the slot's time").check();
  await shot(page, "07-publish-gate");
  await publish.click();

  step = "published";
  // The slot's status badge reads "published" once TikTok has the post;
  // the pipeline is done once the public post id is known (after moderation).
  await page.getByText("published", { exact: true }).first().waitFor({ timeout: 90_000 });
  await page.getByText("done", { exact: true }).first().waitFor({ timeout: 60_000 });
  await shot(page, "08-slot-published");

  step = "the sandbox shows the post";
  const sandbox = await newPage(LAPTOP);
  await sandbox.goto(`${TIKTOK}/sandbox/posts`);
  await sandbox.getByRole("heading", { name: /Posts on the TikTok sandbox \(1\)/ }).waitFor({ timeout: 60_000 });
  assert.ok((await sandbox.locator("td", { hasText: "PUBLIC_TO_EVERYONE" }).count()) === 1, "one public post");
  await shot(sandbox, "09-sandbox-posts");
  await sandbox.context().close();
  current = page;

  step = "metrics";
  await nav(page, "TikTok");
  await page.getByRole("button", { name: "Refresh metrics" }).first().click();
  await nav(page, "Analytics");
  // The post's row counts its snapshots; the first one arrives in the background.
  const snapshots = page.locator("main table tbody tr").first().locator("td").last();
  await page.waitForFunction(
    () => Number(document.querySelector("main table tbody tr td:last-child")?.textContent) >= 1,
    null,
    { timeout: 60_000 },
  );
  assert.ok(Number(await snapshots.textContent()) >= 1);
  await shot(page, "10-analytics");

  step = "the other pages";
  for (const [label, name] of [
    ["Dashboard", "02-dashboard"],
    ["Queue", "11-queue"],
    ["Library", "12-library"],
    ["Credentials", "13-credentials"],
    ["Members", "14-members"],
  ]) {
    await nav(page, label);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await settled(page);
    await shot(page, name);
  }
  step = "knowledge: a brand document found by meaning";
  await nav(page, "Library");
  await page.getByLabel("Document").setInputFiles({
    name: "voice.md",
    mimeType: "text/markdown",
    buffer: Buffer.from(
      "# How we talk\n\nWe cook **fast weeknight dinners** for tired parents: twenty minutes, one pan, " +
        "food the kids will eat.\n\nWe never promise weight loss; we talk about flavour and time saved.",
    ),
  });
  await page.getByRole("button", { name: "Add document" }).click();
  await page.getByText(/voice\.md · .* · 1 part/).waitFor();
  // No word in common with the document; the worker embeds it in the background.
  await page.getByLabel("Search knowledge").fill("speedy evening meals for exhausted mums and dads");
  const found = page.getByRole("list", { name: "Knowledge results" }).getByText(/Brand document · voice\.md · similarity/);
  for (let tries = 0; !(await found.count()); tries++) {
    assert.ok(tries < 60, "the brand document was never found by meaning");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForTimeout(1000);
  }
  await settled(page);
  await shot(page, "12b-knowledge");

  step = "policy: an admin writes a rule";
  await nav(page, "Policy");
  await page.getByLabel("Name").fill("No competitors");
  await page.getByLabel("Words").fill("AcmeCorp, Brand X");
  await page.getByRole("button", { name: "Add rule" }).click();
  await page.getByText("Says any of: AcmeCorp, Brand X").waitFor();
  await settled(page);
  await shot(page, "12c-policy");

  step = "an import of a private address is refused";
  // The cloud-metadata address: yt-dlp's every connection goes through the
  // worker's checking proxy, which refuses it, and the page says why.
  await nav(page, "Import");
  await page.getByLabel("Video or page URL").fill("http://169.254.169.254/latest/meta-data/");
  await page.getByRole("form", { name: "New import" }).getByRole("button", { name: /Import/ }).click();
  await page.getByText("only public web addresses can be imported").waitFor({ timeout: 60_000 });
  await shot(page, "17-import-refused");

  step = "an import becomes highlights, and a highlight a slot";
  // The local video site (reelpilot-media-sim) serves a minute of talk.
  await page.getByLabel("Video or page URL").fill(`${MEDIA}/watch`);
  await page.getByRole("form", { name: "New import" }).getByRole("button", { name: /Import/ }).click();
  // Named by its URL until the fetch learns the page's title.
  await page.getByRole("link", { name: /Knife skills for a small kitchen|\/watch$/ }).first().click();
  const highlights = page.getByRole("list", { name: "Highlights" });
  await highlights.waitFor({ timeout: 240_000 });
  await page.getByRole("tab", { name: "English (spoken)" }).waitFor();
  const clip = highlights.getByLabel("Clip of highlight 1");
  await clip.evaluate((v) => v.readyState >= 1 || new Promise((r) => v.addEventListener("loadedmetadata", r, { once: true })));
  await frame(clip, 4, "18a-frame-imported-clip");
  await highlights.getByRole("checkbox").first().check();
  await page.getByRole("button", { name: "Make a slot" }).click();
  const made = page.getByRole("status", { name: "Slots made" });
  await made.getByText("1 highlight is now a slot").waitFor();
  await settled(page);
  await shot(page, "18-import-highlights");
  await made.getByRole("link").first().click();
  await page.waitForURL(/\/slots\//);
  await settled(page);
  await shot(page, "19-highlight-slot");
  // The dashboard counts the render and the post against the budgets.
  await nav(page, "Dashboard");
  await page.waitForFunction(() => /Posts today\s*1\b/.test(document.querySelector("main").innerText));
  await page.goto(`${BASE}/account/sessions`);
  await page.getByText("This device").waitFor();
  await shot(page, "15-sessions");

  step = "invite a viewer";
  await page.goto(`${BASE}/orgs/${orgId}/members`);
  await page.getByLabel("Email").fill(viewer);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const invitation = linkIn(await mailTo(viewer, "Join Weeknight Kitchen"));
  const ownerState = await page.context().storageState();

  step = "the viewer sees no approve buttons";
  const viewerPage = await newPage(LAPTOP);
  await register(viewerPage, "Vic Viewer", viewer);
  await viewerPage.waitForURL(/\/orgs\/new$/);
  // Joining an organisation needs a confirmed address, like everything that
  // reaches people.
  await viewerPage.goto(linkIn(await mailTo(viewer, "Confirm your email")));
  await viewerPage.getByText("Email confirmed").waitFor();
  await viewerPage.goto(invitation);
  await viewerPage.getByRole("button", { name: "Accept invitation" }).click();
  await viewerPage.waitForURL(new RegExp(`/orgs/${orgId}$`));
  await viewerPage.goto(calendarUrl);
  await viewerPage.waitForFunction(() => document.querySelectorAll('main a[href*="/slots/"]').length >= 90);
  assert.equal(await viewerPage.getByRole("checkbox").count(), 0, "no selection for approval");
  assert.equal(await viewerPage.getByRole("button", { name: /Approve/ }).count(), 0, "no approve buttons");
  await shot(viewerPage, "16-viewer-calendar");
  const secondSlot = await viewerPage.locator('main a[href*="/slots/"]').nth(1).getAttribute("href");
  await viewerPage.goto(`${BASE}${secondSlot}`);
  await viewerPage.getByRole("heading", { level: 1 }).first().waitFor();
  await settled(viewerPage);
  assert.equal(await viewerPage.getByRole("button", { name: /Approve|Publish|Schedule/ }).count(), 0);
  step = "the API refuses a forced approval";
  const forced = await viewerPage.evaluate(async (path) => {
    const { access_token } = JSON.parse(localStorage.getItem("reelpilot.session"));
    const res = await fetch(`/api${path}/approve`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      // A well-formed body, so the refusal is the role check's and not the body's.
      body: JSON.stringify({ version: 1 }),
    });
    return { status: res.status, body: await res.json() };
  }, secondSlot);
  assert.equal(forced.status, 403, JSON.stringify(forced));
  assert.equal(forced.body.error.code, "forbidden");
  assert.ok(forced.body.error.request_id, "the refusal carries a request id");
  await viewerPage.context().close();

  step = "phone-size screens";
  const phone = await newPage(PHONE, ownerState);
  for (const [url, name] of [
    [`${BASE}/orgs/${orgId}`, "phone-dashboard"],
    [calendarUrl, "phone-calendar"],
    [slotUrl, "phone-slot"],
    [`${BASE}/orgs/${orgId}/queue`, "phone-queue"],
  ]) {
    await phone.goto(url);
    await phone.getByRole("heading", { level: 1 }).first().waitFor();
    await settled(phone);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than a phone`);
    await shot(phone, name);
  }
  await phone.context().close();

  const unexpected = consoleErrors.filter((e) => !/Failed to load resource/.test(e));
  assert.deepEqual(unexpected, [], "no script errors in the browser console");
  console.log(`e2e: all steps passed; screenshots in ${OUT}`);
  await browser.close();
} catch (error) {
  console.error(`e2e failed at step "${step}":`, error);
  if (consoleErrors.length) console.error("browser console errors:\n" + consoleErrors.join("\n"));
  if (current) {
    await current.screenshot({ path: join(OUT, "failure.png"), fullPage: true }).catch(() => undefined);
    const text = await current.evaluate(() => document.body.innerText).catch(() => "");
    console.error(`page ${current.url()}:\n${text.slice(0, 3000)}`);
  }
  await browser.close();
  process.exit(1);
}
