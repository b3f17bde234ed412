import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import { PRODUCT_IDS, RESULT_FORMS, type ProductId } from '../events/index.ts';

const aeTitle = z.string().regex(/^[A-Z0-9_ ]{1,16}$/, { error: 'must be a DICOM AE title: 1-16 upper-case letters, digits, _ or space' });

const productSettings = z.strictObject({
  /** Whether this product's result goes back into the hospital's PACS. */
  deliver: z.boolean().default(true),
  /**
   * The forms the result takes in the PACS, sent in this order: `sr` a TID 1500 Structured Report (IHE AI
   * Results), `sc` a Secondary Capture image of it for a PACS that shows no SR, `ko` a Key Object Selection
   * of the flagged images (only beside `sr` or `sc`: it carries no result of its own).
   */
  forms: z
    .array(z.enum(RESULT_FORMS))
    .min(1)
    .refine((forms) => new Set(forms).size === forms.length, { error: 'lists a form twice' })
    .refine((forms) => forms.some((f) => f !== 'ko'), { error: 'ko (Key Object Selection) needs sr or sc beside it: it carries no result of its own' })
    .optional(),
});

/** The forms of a product's result at a hospital: the SR unless the hospitals file says otherwise. */
export const DEFAULT_FORMS = ['sr'] as const;

/** Where results go back into a hospital's PACS. */
export const pacsTarget = z.discriminatedUnion('via', [
  z.strictObject({ via: z.literal('stow'), url: z.url(), headers: z.record(z.string(), z.string()).default({}) }),
  z.strictObject({ via: z.literal('c-store'), aeTitle, host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
]);
export type PacsTarget = z.infer<typeof pacsTarget>;

export const hospitalSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be a lower-case slug' }),
  name: z.string().min(1),
  kind: z.enum(['academic', 'general']),
  timeZone: z.string().default('Europe/Amsterdam'),
  /** The contracted products; a product not listed is never routed for this hospital. */
  products: z.partialRecord(z.enum(PRODUCT_IDS), productSettings),
  /** Calling AE titles of this hospital's PACS, and the send mode each one stands for. */
  aeTitles: z.record(aeTitle, z.enum(['automatic', 'manual'])),
  /** Requesting services whose studies are acute (the emergency department). */
  acuteServices: z.array(z.string().min(1)).default(['SEH', 'ED', 'EMERGENCY', 'SPOEDEISENDE HULP']),
  /** Sending facilities (HL7 MSH-4) of this hospital's RIS besides its id: an ORU^R01 from another is refused. */
  risFacilities: z.array(z.string().min(1).max(180)).default([]),
  /** The PACS that results go back to; without one, nothing is delivered. */
  pacs: pacsTarget.optional(),
});

export const hospitalsFileSchema = z
  .strictObject({ hospitals: z.array(hospitalSchema).min(1) })
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    const titles = new Map<string, string>();
    file.hospitals.forEach((h, i) => {
      if (ids.has(h.id)) ctx.addIssue({ code: 'custom', path: ['hospitals', i, 'id'], message: `duplicate hospital id ${h.id}` });
      ids.add(h.id);
      for (const title of Object.keys(h.aeTitles)) {
        const other = titles.get(title);
        if (other) ctx.addIssue({ code: 'custom', path: ['hospitals', i, 'aeTitles', title], message: `AE title ${title} is also used by ${other}` });
        titles.set(title, h.id);
      }
      try {
        new Intl.DateTimeFormat('en', { timeZone: h.timeZone });
      } catch {
        ctx.addIssue({ code: 'custom', path: ['hospitals', i, 'timeZone'], message: `unknown time zone ${h.timeZone}` });
      }
    });
  });

export type Hospital = z.infer<typeof hospitalSchema>;
export type HospitalsFile = z.infer<typeof hospitalsFileSchema>;

const all = (cinaDelivers: boolean) => ({ bonexpert: { deliver: true }, rbfracture: { deliver: true }, 'cina-ipe': { deliver: cinaDelivers } });

/** The five hospitals of the AIFI pilot. CINA-iPE output reaches the PACS in two of them. */
export const PILOT_HOSPITALS: HospitalsFile = hospitalsFileSchema.parse({
  hospitals: [
    { id: 'catharina', name: 'Catharina Ziekenhuis', kind: 'general', products: all(true), aeTitles: { CZE_PACS: 'automatic', CZE_PACS_MAN: 'manual' } },
    { id: 'gelre', name: 'Gelre Ziekenhuizen', kind: 'general', products: all(false), aeTitles: { GELRE_PACS: 'automatic', GELRE_PACS_MAN: 'manual' } },
    { id: 'radboudumc', name: 'Radboudumc', kind: 'academic', products: all(true), aeTitles: { RUMC_PACS: 'automatic', RUMC_PACS_MAN: 'manual' } },
    { id: 'zgt', name: 'Ziekenhuisgroep Twente', kind: 'general', products: all(false), aeTitles: { ZGT_PACS: 'automatic', ZGT_PACS_MAN: 'manual' } },
    { id: 'rivierenland', name: 'Ziekenhuis Rivierenland', kind: 'general', products: all(false), aeTitles: { ZRT_PACS: 'automatic', ZRT_PACS_MAN: 'manual' } },
  ],
});

/** Reads and validates a hospitals file; the error names the file and each bad field. */
export function loadHospitals(path: string | undefined): HospitalsFile {
  if (!path) return PILOT_HOSPITALS;
  return readJsonFile(path, hospitalsFileSchema, 'hospitals file');
}

/** The products that some hospital of the file contracts, in catalogue order. */
export function contractedProducts(file: HospitalsFile): ProductId[] {
  return PRODUCT_IDS.filter((p) => file.hospitals.some((h) => contracts(h, p)));
}

export function contracts(hospital: Hospital, product: ProductId): boolean {
  return hospital.products[product] !== undefined;
}
