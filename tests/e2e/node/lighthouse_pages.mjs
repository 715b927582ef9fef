// Lighthouse on Frontline's pages as a signed-in associate sees them.
//
// Lighthouse alone can only send a cookie header, which the browser does not add to the
// notifications websocket; signed in through the real form instead, the pages load as they do
// on a tablet, live socket included. The login page is audited first, signed out.
//
//   node lighthouse_pages.mjs <config.json>
// config: {chrome, baseUrl, username, password, outDir, pages: {name: path}, signedOut: [name]}
// Writes <outDir>/<name>.json (Lighthouse's report) for each page; prints one line per page.
import fs from 'node:fs';
import path from 'node:path';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const flags = {
  output: 'json',
  logLevel: 'error',
  onlyCategories: ['performance', 'accessibility', 'best-practices'],
};

// Lighthouse's default 4x CPU slowdown stands for a mid-range phone only on a fast desktop
// (benchmark index about 1,500). Lighthouse's throttling guide says to calibrate the multiplier
// to the host's benchmark index; these are the anchor points of its CPU throttling calculator
// (index, multiplier), read between linearly.
const CALIBRATION = [[150, 1], [800, 2], [1300, 3], [1533, 4]];

function slowdownFor(benchmarkIndex) {
  if (benchmarkIndex <= CALIBRATION[0][0]) return 1;
  for (let i = 1; i < CALIBRATION.length; i += 1) {
    const [x0, y0] = CALIBRATION[i - 1];
    const [x1, y1] = CALIBRATION[i];
    if (benchmarkIndex <= x1 || i === CALIBRATION.length - 1) {
      return y0 + ((benchmarkIndex - x0) * (y1 - y0)) / (x1 - x0);
    }
  }
  return 4;
}

// One reading of the benchmark index is noisy: on one quiet machine, minutes apart, single
// readings ranged from 1,650 to 2,860 (a 4.5x to 9.9x slowdown). The median of a few is steady.
const CALIBRATION_READINGS = 3;

async function calibrate(page, pathname) {
  const readings = [];
  let throttling;
  for (let i = 0; i < CALIBRATION_READINGS; i += 1) {
    const result = await lighthouse(config.baseUrl + pathname, flags, undefined, page);
    readings.push(result.lhr.environment.benchmarkIndex);
    throttling = result.lhr.configSettings.throttling;
  }
  const benchmarkIndex = readings.slice().sort((a, b) => a - b)[Math.floor(readings.length / 2)];
  const cpuSlowdownMultiplier = Math.round(slowdownFor(benchmarkIndex) * 100) / 100;
  flags.throttling = { ...throttling, cpuSlowdownMultiplier };
  console.log(JSON.stringify({ calibration: { benchmarkIndex, readings, cpuSlowdownMultiplier } }));
}

async function audit(page, name, pathname) {
  const result = await lighthouse(config.baseUrl + pathname, flags, undefined, page);
  fs.writeFileSync(path.join(config.outDir, `${name}.json`), result.report);
  const scores = Object.fromEntries(
    Object.entries(result.lhr.categories).map(([key, category]) => [key, category.score]),
  );
  console.log(JSON.stringify({ page: name, url: result.lhr.finalDisplayedUrl, scores }));
}

async function signIn(page) {
  await page.goto(config.baseUrl + '/accounts/login/');
  await page.type('#id_username', config.username);
  await page.type('#id_password', config.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (new URL(page.url()).pathname.startsWith('/accounts/login')) {
    throw new Error(`sign-in as ${config.username} failed`);
  }
}

const browser = await puppeteer.launch({
  executablePath: config.chrome,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  fs.mkdirSync(config.outDir, { recursive: true });
  const page = await browser.newPage();
  const pages = Object.entries(config.pages);
  await calibrate(page, '/accounts/login/');
  for (const [name, pathname] of pages.filter(([name]) => config.signedOut.includes(name))) {
    await audit(page, name, pathname);
  }
  await signIn(page);
  for (const [name, pathname] of pages.filter(([name]) => !config.signedOut.includes(name))) {
    await audit(page, name, pathname);
  }
} finally {
  await browser.close();
}
