// Renders build/icon.svg to the PNG icons electron-builder packs (Linux icon
// set in build/icons/, build/icon.png 1024 px, converted by electron-builder to
// .icns/.ico). Uses Debian's Chromium through playwright-core:
//   node build/make-icons.mjs
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(path.join(dir, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  mkdirSync(path.join(dir, 'icons'), { recursive: true });
  for (const size of [1024, 512, 256, 128, 64, 48, 32, 16]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `)}</body></html>`);
    const out = size === 1024 ? path.join(dir, 'icon.png') : path.join(dir, 'icons', `${size}x${size}.png`);
    await page.screenshot({ path: out, omitBackground: true });
    await page.close();
  }
} finally {
  await browser.close();
}
