// The sandbox's phone-number inventory: searchable numbers are generated on demand (North American
// numbers that honour the area code, locality/state and starts/ends/contains filters), ordering one makes it
// owned (active at once, assigned to the order's connection_id), and owned numbers can be listed, updated and
// deleted with Telnyx's resource shapes. Owned numbers also give inbound calls their connection_id and tags.
import { MicroClock, newUuid } from './sim-runtime';

export interface OwnedPhoneNumber {
  id: string;
  phoneNumber: string;
  countryIso: string;
  phoneNumberType: 'local' | 'toll_free';
  connectionId: string | null;
  tags: string[];
  customerReference: string | null;
  billingGroupId: string | null;
  externalPin: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NumberOrderRecord {
  id: string;
  connectionId?: string;
  messagingProfileId?: string;
  billingGroupId?: string;
  customerReference?: string;
  phoneNumbers: Array<{
    id: string;
    phoneNumber: string;
    status: 'success' | 'failure';
    countryIso: string;
    type: string;
  }>;
  status: 'success' | 'failure';
  createdAt: string;
}

export interface AvailableNumberSearch {
  countryCode?: string;
  nationalDestinationCode?: string;
  locality?: string;
  administrativeArea?: string;
  rateCenter?: string;
  phoneNumberType?: string;
  startsWith?: string;
  endsWith?: string;
  contains?: string;
  features?: string[];
  limit?: number;
}

interface AreaCode {
  npa: string;
  country: 'US' | 'CA';
  locality: string;
  state: string;
}

// A handful of real area codes so locality/state filters return something believable.
const AREA_CODES: AreaCode[] = [
  { npa: '212', country: 'US', locality: 'New York', state: 'NY' },
  { npa: '646', country: 'US', locality: 'New York', state: 'NY' },
  { npa: '213', country: 'US', locality: 'Los Angeles', state: 'CA' },
  { npa: '415', country: 'US', locality: 'San Francisco', state: 'CA' },
  { npa: '312', country: 'US', locality: 'Chicago', state: 'IL' },
  { npa: '512', country: 'US', locality: 'Austin', state: 'TX' },
  { npa: '214', country: 'US', locality: 'Dallas', state: 'TX' },
  { npa: '305', country: 'US', locality: 'Miami', state: 'FL' },
  { npa: '404', country: 'US', locality: 'Atlanta', state: 'GA' },
  { npa: '206', country: 'US', locality: 'Seattle', state: 'WA' },
  { npa: '617', country: 'US', locality: 'Boston', state: 'MA' },
  { npa: '303', country: 'US', locality: 'Denver', state: 'CO' },
  { npa: '970', country: 'US', locality: 'Fort Collins', state: 'CO' },
  { npa: '702', country: 'US', locality: 'Las Vegas', state: 'NV' },
  { npa: '602', country: 'US', locality: 'Phoenix', state: 'AZ' },
  { npa: '416', country: 'CA', locality: 'Toronto', state: 'ON' },
  { npa: '604', country: 'CA', locality: 'Vancouver', state: 'BC' },
  { npa: '514', country: 'CA', locality: 'Montreal', state: 'QC' },
];
const TOLL_FREE = ['800', '833', '844', '855', '866', '877', '888'];
const NANP_COUNTRIES = new Set(['US', 'CA']);
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

export class NumberInventory {
  private readonly owned = new Map<string, OwnedPhoneNumber>();
  private readonly idByNumber = new Map<string, string>();
  private readonly orders = new Map<string, NumberOrderRecord>();
  private nextId = 1n;

  constructor(
    private readonly clock: MicroClock,
    private readonly random: () => number,
    private readonly connectionName: string,
  ) {}

  // ---- search -------------------------------------------------------------------------------------

  searchAvailable(search: AvailableNumberSearch): Array<Record<string, unknown>> {
    const country = (search.countryCode ?? 'US').toUpperCase();
    if (!NANP_COUNTRIES.has(country)) return [];
    const limit = Math.min(Math.max(search.limit ?? 20, 1), 100);
    const tollFree = search.phoneNumberType === 'toll_free';
    if (search.phoneNumberType && !['local', 'toll_free'].includes(search.phoneNumberType)) return [];

    let areas: AreaCode[];
    if (tollFree) {
      areas = TOLL_FREE.map((npa) => ({ npa, country: country as 'US', locality: '', state: '' }));
    } else {
      areas = AREA_CODES.filter(
        (a) =>
          a.country === country &&
          (!search.locality || a.locality.toLowerCase() === search.locality.toLowerCase()) &&
          (!search.rateCenter || a.locality.toLowerCase() === search.rateCenter.toLowerCase()) &&
          (!search.administrativeArea || a.state.toLowerCase() === search.administrativeArea.toLowerCase()),
      );
    }
    const ndc = search.nationalDestinationCode;
    if (ndc) {
      if (!/^[2-9]\d\d$/.test(ndc)) return [];
      const known = areas.filter((a) => a.npa === ndc);
      const anyFilter = search.locality || search.administrativeArea || search.rateCenter;
      areas =
        known.length || anyFilter ? known : [{ npa: ndc, country: country as 'US', locality: '', state: '' }];
    }
    if (areas.length === 0) return [];

    const results: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    for (let tries = 0; results.length < limit && tries < limit * 20; tries++) {
      const area = areas[Math.floor(this.random() * areas.length)];
      const national = this.generateNational(area.npa, search);
      if (!national) continue;
      const e164 = `+1${national}`;
      if (seen.has(e164) || this.idByNumber.has(e164)) continue;
      seen.add(e164);
      results.push(this.availableRecord(e164, area, country, tollFree, search.features));
    }
    return results;
  }

  /** Ten national digits matching the filters, or null when these filters cannot be met with this area code. */
  private generateNational(npa: string, search: AvailableNumberSearch): string | null {
    const slots: Array<string | null> = [...npa.split(''), null, null, null, null, null, null, null];
    const place = (digits: string, at: number): boolean => {
      for (let i = 0; i < digits.length; i++) {
        const current = slots[at + i];
        if (current !== null && current !== digits[i]) return false;
        slots[at + i] = digits[i];
      }
      return true;
    };
    const digitsOf = (value: string | undefined): string => {
      const digits = (value ?? '').replace(/\D/g, '');
      // A leading country code 1 on an 11-digit prefix is allowed, as in "+1312...".
      return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
    };
    const starts = digitsOf(search.startsWith);
    const ends = digitsOf(search.endsWith);
    const contains = digitsOf(search.contains);
    if (starts.length > 10 || ends.length > 10 || contains.length > 7) return null;
    if (starts && !place(starts, 0)) return null;
    if (ends && !place(ends, 10 - ends.length)) return null;
    if (contains) {
      const free: number[] = [];
      for (let at = 3; at + contains.length <= 10; at++) {
        let fits = true;
        for (let i = 0; i < contains.length; i++) {
          if (slots[at + i] !== null && slots[at + i] !== contains[i]) fits = false;
        }
        if (fits) free.push(at);
      }
      if (free.length === 0) return null;
      place(contains, free[Math.floor(this.random() * free.length)]);
    }
    const national = slots.map((d) => d ?? String(Math.floor(this.random() * 10))).join('');
    // NANP: the exchange starts with 2-9 and is not N11; avoid 555-01xx fiction numbers.
    if (!/^[2-9]\d\d[2-9]\d{6}$/.test(national) || national.slice(4, 6) === '11') return null;
    if (national.slice(3, 6) === '555' && national.slice(6, 8) === '01') return null;
    return national;
  }

  private availableRecord(
    e164: string,
    area: AreaCode,
    country: string,
    tollFree: boolean,
    features: string[] | undefined,
  ): Record<string, unknown> {
    const region: Array<{ region_type: string; region_name: string }> = [
      { region_type: 'country_code', region_name: country },
    ];
    if (area.locality) region.push({ region_type: 'rate_center', region_name: area.locality.toUpperCase() });
    if (area.state) region.push({ region_type: 'state', region_name: area.state });
    const names = new Set(['voice', 'sms', 'mms', 'fax', 'emergency', ...(features ?? [])]);
    if (tollFree) names.delete('emergency');
    return {
      record_type: 'available_phone_number',
      phone_number: e164,
      vanity_format: '',
      best_effort: false,
      quickship: true,
      reservable: true,
      region_information: region,
      cost_information: { upfront_cost: '1.00', monthly_cost: tollFree ? '2.00' : '1.00', currency: 'USD' },
      features: [...names].map((name) => ({ name })),
    };
  }

  // ---- orders -------------------------------------------------------------------------------------

  createOrder(input: {
    phoneNumbers: string[];
    connectionId?: string;
    messagingProfileId?: string;
    billingGroupId?: string;
    customerReference?: string;
  }): NumberOrderRecord {
    const { iso } = this.clock.now();
    const lines = input.phoneNumbers.map((phoneNumber) => {
      const valid = E164_PATTERN.test(phoneNumber) && !this.idByNumber.has(phoneNumber);
      if (valid)
        this.add(phoneNumber, {
          connectionId: input.connectionId,
          billingGroupId: input.billingGroupId,
          customerReference: input.customerReference,
        });
      return {
        id: newUuid(),
        phoneNumber,
        status: valid ? ('success' as const) : ('failure' as const),
        countryIso: countryOf(phoneNumber),
        type: typeOf(phoneNumber),
      };
    });
    const order: NumberOrderRecord = {
      id: newUuid(),
      connectionId: input.connectionId,
      messagingProfileId: input.messagingProfileId,
      billingGroupId: input.billingGroupId,
      customerReference: input.customerReference,
      phoneNumbers: lines,
      status: lines.some((l) => l.status === 'success') ? 'success' : 'failure',
      createdAt: iso,
    };
    this.orders.set(order.id, order);
    return order;
  }

  getOrder(id: string): NumberOrderRecord | undefined {
    return this.orders.get(id);
  }

  listOrders(): NumberOrderRecord[] {
    return [...this.orders.values()];
  }

  // ---- owned numbers ------------------------------------------------------------------------------

  /** Adds an owned number directly (what an order does), e.g. to seed a demo. Returns the existing one if owned. */
  add(
    phoneNumber: string,
    options: {
      connectionId?: string | null;
      tags?: string[];
      customerReference?: string;
      billingGroupId?: string;
    } = {},
  ): OwnedPhoneNumber {
    const existing = this.findByNumber(phoneNumber);
    if (existing) return existing;
    const { iso } = this.clock.now();
    const id = String(1_700_000_000_000_000_000n + this.nextId++);
    const record: OwnedPhoneNumber = {
      id,
      phoneNumber,
      countryIso: countryOf(phoneNumber),
      phoneNumberType: typeOf(phoneNumber),
      connectionId: options.connectionId ?? null,
      tags: options.tags ?? [],
      customerReference: options.customerReference ?? null,
      billingGroupId: options.billingGroupId ?? null,
      externalPin: null,
      createdAt: iso,
      updatedAt: iso,
    };
    this.owned.set(id, record);
    this.idByNumber.set(phoneNumber, id);
    return record;
  }

  get(id: string): OwnedPhoneNumber | undefined {
    return this.owned.get(id);
  }

  findByNumber(phoneNumber: string): OwnedPhoneNumber | undefined {
    const id = this.idByNumber.get(phoneNumber);
    return id === undefined ? undefined : this.owned.get(id);
  }

  list(filter: {
    phoneNumber?: string;
    connectionId?: string;
    tag?: string;
    status?: string;
    countryIso?: string[];
  }): OwnedPhoneNumber[] {
    const digits = filter.phoneNumber?.replace(/\D/g, '');
    return [...this.owned.values()].filter(
      (n) =>
        (!digits || n.phoneNumber.includes(digits)) &&
        (!filter.connectionId || n.connectionId === filter.connectionId) &&
        (!filter.tag || n.tags.includes(filter.tag)) &&
        (!filter.status || filter.status === 'active') &&
        (!filter.countryIso || filter.countryIso.includes(n.countryIso)),
    );
  }

  update(
    id: string,
    patch: {
      connectionId?: string | null;
      tags?: string[];
      customerReference?: string;
      billingGroupId?: string;
      externalPin?: string;
    },
  ): OwnedPhoneNumber | undefined {
    const record = this.owned.get(id);
    if (!record) return undefined;
    if (patch.connectionId !== undefined)
      record.connectionId = patch.connectionId === '' ? null : patch.connectionId;
    if (patch.tags !== undefined) record.tags = [...new Set(patch.tags)];
    if (patch.customerReference !== undefined) record.customerReference = patch.customerReference;
    if (patch.billingGroupId !== undefined) record.billingGroupId = patch.billingGroupId;
    if (patch.externalPin !== undefined) record.externalPin = patch.externalPin;
    record.updatedAt = this.clock.now().iso;
    return record;
  }

  delete(id: string): OwnedPhoneNumber | undefined {
    const record = this.owned.get(id);
    if (!record) return undefined;
    this.owned.delete(id);
    this.idByNumber.delete(record.phoneNumber);
    return record;
  }

  // ---- Telnyx resource shapes ---------------------------------------------------------------------

  /** PhoneNumberDetailed. */
  toResource(n: OwnedPhoneNumber, status = 'active'): Record<string, unknown> {
    return {
      id: n.id,
      record_type: 'phone_number',
      phone_number: n.phoneNumber,
      country_iso_alpha2: n.countryIso,
      status,
      tags: n.tags,
      external_pin: n.externalPin,
      connection_id: n.connectionId,
      connection_name: n.connectionId ? this.connectionName : null,
      customer_reference: n.customerReference,
      messaging_profile_id: null,
      messaging_profile_name: null,
      billing_group_id: n.billingGroupId,
      emergency_enabled: false,
      emergency_address_id: null,
      emergency_status: 'disabled',
      call_forwarding_enabled: true,
      cnam_listing_enabled: false,
      caller_id_name_enabled: false,
      call_recording_enabled: false,
      t38_fax_gateway_enabled: false,
      purchased_at: n.createdAt,
      created_at: n.createdAt,
      updated_at: n.updatedAt,
      phone_number_type: n.phoneNumberType,
      inbound_call_screening: 'disabled',
      source_type: 'number_order',
      deletion_lock_enabled: false,
    };
  }

  /** PhoneNumberDeletedDetailed: the spec types its optional strings as non-null, so absent values are left out. */
  toDeletedResource(n: OwnedPhoneNumber): Record<string, unknown> {
    const resource: Record<string, unknown> = {
      id: n.id,
      record_type: 'phone_number',
      phone_number: n.phoneNumber,
      status: 'deleted',
      tags: n.tags,
      emergency_enabled: false,
      call_forwarding_enabled: true,
      cnam_listing_enabled: false,
      caller_id_name_enabled: false,
      call_recording_enabled: false,
      t38_fax_gateway_enabled: false,
      purchased_at: n.createdAt,
      created_at: n.createdAt,
      updated_at: this.clock.now().iso,
      phone_number_type: n.phoneNumberType,
      deletion_lock_enabled: false,
    };
    if (n.connectionId) {
      resource.connection_id = n.connectionId;
      resource.connection_name = this.connectionName;
    }
    if (n.customerReference) resource.customer_reference = n.customerReference;
    if (n.billingGroupId) resource.billing_group_id = n.billingGroupId;
    if (n.externalPin) resource.external_pin = n.externalPin;
    return resource;
  }

  /** NumberOrderWithPhoneNumbers (create/retrieve) or, with brief = true, NumberOrder (list). */
  toOrderResource(order: NumberOrderRecord, brief = false): Record<string, unknown> {
    const resource: Record<string, unknown> = {
      id: order.id,
      record_type: 'number_order',
      phone_numbers_count: order.phoneNumbers.length,
      phone_numbers: order.phoneNumbers.map((line) =>
        brief
          ? { id: line.id, phone_number: line.phoneNumber }
          : {
              id: line.id,
              record_type: 'number_order_phone_number',
              phone_number: line.phoneNumber,
              country_code: line.countryIso,
              phone_number_type: line.type,
              regulatory_requirements: [],
              requirements_met: true,
              requirements_status: 'approved',
              status: line.status,
            },
      ),
      sub_number_orders_ids: [],
      status: order.status,
      requirements_met: true,
      created_at: order.createdAt,
      updated_at: order.createdAt,
    };
    if (order.connectionId !== undefined) resource.connection_id = order.connectionId;
    if (order.messagingProfileId !== undefined) resource.messaging_profile_id = order.messagingProfileId;
    if (order.billingGroupId !== undefined) resource.billing_group_id = order.billingGroupId;
    if (order.customerReference !== undefined) resource.customer_reference = order.customerReference;
    return resource;
  }
}

function countryOf(e164: string): string {
  if (!e164.startsWith('+1')) return 'ZZ';
  return AREA_CODES.find((a) => e164.startsWith(`+1${a.npa}`))?.country ?? 'US';
}

function typeOf(e164: string): 'local' | 'toll_free' {
  return TOLL_FREE.some((npa) => e164.startsWith(`+1${npa}`)) ? 'toll_free' : 'local';
}
