const cs = await import('./src/server/masking/scan.ts');
const bs = await import('/tmp/base/src/server/masking/scan.ts');
const cp = await import('./src/server/masking/profile.ts');
const bp = await import('/tmp/base/src/server/masking/profile.ts');
const cd = await import('./src/server/masking/detectors.ts');
const bd = await import('/tmp/base/src/server/masking/detectors.ts');
const W = ['山田 太郎', '王 小明', 'Иван Петров', 'Γιώργος Παπαδόπουλος', 'محمد علي', '東京都千代田区丸の内 1丁目', 'Москва, ул. Тверская, д. 7', 'Αθήνα 105 57', 'القاهرة'];
const cells: Buffer[] = [];
for (let i = 0; i < 200000; i++) cells.push(Buffer.from(W[i % W.length]!));
const all = ['email', 'credit_card', 'phone', 'national_id', 'iban', 'ip', 'secrets'];
const cdet = cd.resolveDetectors(all), bdet = bd.resolveDetectors(all);
const p1 = cp.emptyProfile(), p2 = bp.emptyProfile();
const min: Record<string, number> = {};
const time = (k: string, f: () => void) => { const t = performance.now(); f(); min[k] = Math.min(min[k] ?? Infinity, performance.now() - t); };
for (let r = 0; r < 30; r++) {
  time('mask cur', () => { for (const c of cells) cs.maskUtf8(c, cdet); });
  time('mask base', () => { for (const c of cells) bs.maskUtf8(c, bdet as never); });
  time('profile cur', () => { for (const c of cells) cp.profileBytes(c, p1); });
  time('profile base', () => { for (const c of cells) bp.profileBytes(c, p2); });
}
console.log(Object.entries(min).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  '));
