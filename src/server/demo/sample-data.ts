import pg from 'pg';

/*
 * The demo's sample shop: customers holding personal data, their orders, and
 * a view joining the two. Generated from a fixed seed, so every demo (and its
 * test) sees the same rows. Nothing here is real: phone numbers are in the
 * 555-01xx block reserved for fiction, card numbers are Luhn-valid but carry
 * the test prefixes card networks publish, SSNs avoid the never-issued areas.
 */

export const CUSTOMER_COUNT = 50;
export const ORDER_COUNT = 200;

// prettier-ignore
const FIRST_NAMES = [
  'Jane', 'John', 'Maria', 'Ahmed', 'Wei', 'Olivia', 'Lucas', 'Sofia', 'Noah', 'Amara',
  'Kenji', 'Priya', 'Mateo', 'Chloe', 'Ivan', 'Fatima', 'Liam', 'Elena', 'Omar', 'Hannah',
];
// prettier-ignore
const LAST_NAMES = [
  'Doe', 'Smith', 'Garcia', 'Khan', 'Chen', 'Johnson', 'Silva', 'Rossi', 'Müller', 'Okafor',
  'Tanaka', 'Patel', 'Fernández', 'Martin', 'Petrov', 'Haddad', "O'Brien", 'Novak', 'Berg', 'Kim',
];
// prettier-ignore
const CITIES = [
  'San Francisco', 'Austin', 'Chicago', 'Seattle', 'Boston', 'Denver', 'Portland', 'Atlanta',
  'New York', 'Miami',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'refunded', 'cancelled'];
/** Published test prefixes: Visa 4242…, Mastercard 5555…, Amex 3782…. */
const CARD_PREFIXES = [
  { prefix: '424242', length: 16 },
  { prefix: '555555', length: 16 },
  { prefix: '378282', length: 15 },
];
const AREA_CODES = ['415', '512', '312', '206', '617', '303', '503', '404', '212', '305'];

export interface Customer {
  id: number;
  full_name: string;
  email: string;
  phone: string;
  card_number: string;
  ssn: string;
  city: string;
  created_at: string;
}

export interface Order {
  id: number;
  customer_id: number;
  total: string;
  status: string;
  created_at: string;
}

/** mulberry32: a small, fast PRNG; enough for sample data, never for secrets. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Luhn check digit that makes `digits` + it a valid number. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Doubling starts from the rightmost digit of the payload (the check digit will follow it).
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The sample rows, the same on every call. */
export function sampleData(seed = 20240101): { customers: Customer[]; orders: Order[] } {
  const next = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const digits = (n: number): string => Array.from({ length: n }, () => int(0, 9)).join('');
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  const start = Date.UTC(2024, 0, 1);
  const day = 86_400_000;

  const customers: Customer[] = [];
  for (let id = 1; id <= CUSTOMER_COUNT; id++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .toLowerCase();
    const card = pick(CARD_PREFIXES);
    const payload = card.prefix + digits(card.length - card.prefix.length - 1);
    let area = int(1, 899);
    if (area === 666) area = 667;
    customers.push({
      id,
      full_name: `${first} ${last}`,
      email: `${local}${id}@${pick(DOMAINS)}`,
      phone: `+1 ${pick(AREA_CODES)} 555 01${pad(int(0, 99), 2)}`,
      card_number: payload + luhnCheckDigit(payload),
      ssn: `${pad(area, 3)}-${pad(int(1, 99), 2)}-${pad(int(1, 9999), 4)}`,
      city: pick(CITIES),
      created_at: new Date(start + id * 3 * day + int(0, day - 1)).toISOString(),
    });
  }

  const orders: Order[] = [];
  for (let id = 1; id <= ORDER_COUNT; id++) {
    const customer = customers[int(0, customers.length - 1)] as Customer;
    const placed = Date.parse(customer.created_at) + int(1, 300) * day + int(0, day - 1);
    orders.push({
      id,
      customer_id: customer.id,
      total: (int(500, 50_000) / 100).toFixed(2),
      status: pick(STATUSES),
      created_at: new Date(placed).toISOString(),
    });
  }
  return { customers, orders };
}

const SCHEMA = [
  `create table customers (
    id int primary key,
    full_name text not null,
    email text not null unique,
    phone text,
    card_number text,
    ssn text,
    city text,
    created_at timestamptz not null default now()
  )`,
  `create table orders (
    id int primary key,
    customer_id int not null references customers (id),
    total numeric(10, 2) not null,
    status text not null,
    created_at timestamptz not null default now()
  )`,
  'create index orders_customer_id on orders (customer_id)',
  `create view customer_orders as
    select o.id as order_id, c.id as customer_id, c.full_name, c.email, c.city,
           o.total, o.status, o.created_at
      from orders o join customers c on c.id = o.customer_id`,
];

/** Creates the sample schema in the database `config` names and fills it. */
export async function seedSampleData(config: pg.ClientConfig): Promise<void> {
  const { customers, orders } = sampleData();
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query('begin');
    for (const sql of SCHEMA) await client.query(sql);
    await insertRows(client, 'customers', customers);
    await insertRows(client, 'orders', orders);
    await client.query('commit');
  } finally {
    await client.end();
  }
}

async function insertRows(client: pg.Client, table: string, rows: object[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const start = values.length;
    values.push(...Object.values(row));
    return `(${columns.map((_, i) => `$${start + i + 1}`).join(', ')})`;
  });
  await client.query(
    `insert into ${client.escapeIdentifier(table)} (${columns.join(', ')}) values ${tuples.join(', ')}`,
    values,
  );
}
