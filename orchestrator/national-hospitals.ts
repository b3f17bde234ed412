import { createHash } from 'node:crypto';
import { PRODUCT_IDS, type ProductId } from '../events/index.ts';
import { hospitalsFileSchema, PILOT_HOSPITALS, type HospitalsFile } from './hospitals.ts';

/** The Dutch hospital organisations of the national network: id, name; the first eight are academic. */
const ORGANISATIONS: [string, string][] = [
  ['amc', 'Amsterdam UMC, locatie AMC'],
  ['vumc', 'Amsterdam UMC, locatie VUmc'],
  ['erasmusmc', 'Erasmus MC'],
  ['lumc', 'Leids Universitair Medisch Centrum'],
  ['mumc', 'Maastricht UMC+'],
  ['radboudumc', 'Radboudumc'],
  ['umcg', 'Universitair Medisch Centrum Groningen'],
  ['umcu', 'UMC Utrecht'],
  ['catharina', 'Catharina Ziekenhuis'],
  ['gelre', 'Gelre Ziekenhuizen'],
  ['zgt', 'Ziekenhuisgroep Twente'],
  ['rivierenland', 'Ziekenhuis Rivierenland'],
  ['st-antonius', 'St. Antonius Ziekenhuis'],
  ['isala', 'Isala'],
  ['olvg', 'OLVG'],
  ['jbz', 'Jeroen Bosch Ziekenhuis'],
  ['amphia', 'Amphia'],
  ['mst', 'Medisch Spectrum Twente'],
  ['rijnstate', 'Rijnstate'],
  ['haga', 'HagaZiekenhuis'],
  ['hmc', 'Haaglanden Medisch Centrum'],
  ['rdgg', 'Reinier de Graaf'],
  ['maasstad', 'Maasstad Ziekenhuis'],
  ['franciscus', 'Franciscus Gasthuis & Vlietland'],
  ['ikazia', 'Ikazia Ziekenhuis'],
  ['asz', 'Albert Schweitzer ziekenhuis'],
  ['spaarne', 'Spaarne Gasthuis'],
  ['rkz', 'Rode Kruis Ziekenhuis'],
  ['dijklander', 'Dijklander Ziekenhuis'],
  ['nwz', 'Noordwest Ziekenhuisgroep'],
  ['tergooi', 'Tergooi MC'],
  ['meander', 'Meander Medisch Centrum'],
  ['diakonessenhuis', 'Diakonessenhuis'],
  ['st-jansdal', 'St Jansdal'],
  ['deventer', 'Deventer Ziekenhuis'],
  ['saxenburgh', 'Saxenburgh'],
  ['treant', 'Treant'],
  ['martini', 'Martini Ziekenhuis'],
  ['mcl', 'Medisch Centrum Leeuwarden'],
  ['tjongerschans', 'Ziekenhuis Tjongerschans'],
  ['nij-smellinghe', 'Nij Smellinghe'],
  ['ommelander', 'Ommelander Ziekenhuis Groningen'],
  ['wza', 'Wilhelmina Ziekenhuis Assen'],
  ['zuyderland', 'Zuyderland Medisch Centrum'],
  ['viecuri', 'VieCuri Medisch Centrum'],
  ['laurentius', 'Laurentius Ziekenhuis'],
  ['elkerliek', 'Elkerliek'],
  ['mmc', 'Máxima MC'],
  ['anna', 'Anna Ziekenhuis'],
  ['bernhoven', 'Bernhoven'],
  ['etz', 'Elisabeth-TweeSteden Ziekenhuis'],
  ['zgv', 'Ziekenhuis Gelderse Vallei'],
  ['slingeland', 'Slingeland Ziekenhuis'],
  ['sjg-weert', 'SJG Weert'],
  ['adrz', 'Admiraal De Ruyter Ziekenhuis'],
  ['zorgsaam', 'ZorgSaam'],
  ['bravis', 'Bravis'],
  ['amstelland', 'Ziekenhuis Amstelland'],
  ['bovenij', 'BovenIJ'],
  ['flevoziekenhuis', 'Flevoziekenhuis'],
  ['zaans-mc', 'Zaans Medisch Centrum'],
  ['ghz', 'Groene Hart Ziekenhuis'],
  ['alrijne', 'Alrijne'],
  ['van-weel-bethesda', 'Van Weel-Bethesda'],
  ['spijkenisse-mc', 'Spijkenisse MC'],
  ['beatrix', 'Beatrixziekenhuis'],
  ['antonius-sneek', 'Antonius Sneek'],
  ['maasziekenhuis', 'Maasziekenhuis Pantein'],
  ['cwz', 'Canisius Wilhelmina Ziekenhuis'],
  ['ijsselland', 'IJsselland Ziekenhuis'],
];
const ACADEMIC = 8;

/**
 * The chance that a general hospital buys a product (an academic hospital
 * half as much again, at most 0.95), and that a bought product's result goes
 * back into the PACS: assumptions of this project, giving about five products
 * per general hospital and seven or eight per academic one.
 */
const UPTAKE: Record<ProductId, { buys: number; delivers: number }> = {
  bonexpert: { buys: 0.25, delivers: 0.9 },
  rbfracture: { buys: 0.6, delivers: 0.9 },
  'cina-ipe': { buys: 0.2, delivers: 0.4 },
  rbknee: { buys: 0.25, delivers: 0.85 },
  'cina-ich': { buys: 0.4, delivers: 0.9 },
  'cina-lvo': { buys: 0.35, delivers: 0.9 },
  chestview: { buys: 0.45, delivers: 0.85 },
  'chestview-ptx': { buys: 0.2, delivers: 0.85 },
  'lungnod-ct': { buys: 0.3, delivers: 0.8 },
  'spineview-vf': { buys: 0.15, delivers: 0.7 },
  'ribfx-ct': { buys: 0.15, delivers: 0.85 },
  'cac-score': { buys: 0.2, delivers: 0.85 },
  'ccta-stenosis': { buys: 0.15, delivers: 0.85 },
  'prostate-mr': { buys: 0.2, delivers: 0.85 },
  'lumbar-mr': { buys: 0.15, delivers: 0.8 },
  'knee-mr': { buys: 0.15, delivers: 0.8 },
  'ms-lesion-mr': { buys: 0.15, delivers: 0.85 },
  'aspects-ct': { buys: 0.25, delivers: 0.9 },
  'mammo-detect': { buys: 0.3, delivers: 0.9 },
  'mammo-density': { buys: 0.15, delivers: 0.8 },
};

/** A fixed draw in [0, 1) per hospital and question: the network is configuration, the same on every run. */
const draw = (...parts: string[]) => createHash('sha256').update(`national|${parts.join('|')}`).digest().readUInt32LE(0) / 2 ** 32;

const aeStem = (id: string) => id.toUpperCase().replace(/-/g, '_').slice(0, 11);

function products(id: string, academic: boolean): HospitalsFile['hospitals'][number]['products'] {
  const pilot = PILOT_HOSPITALS.hospitals.find((h) => h.id === id);
  const bought: HospitalsFile['hospitals'][number]['products'] = { ...pilot?.products };
  for (const product of PRODUCT_IDS) {
    if (bought[product]) continue;
    const { buys, delivers } = UPTAKE[product];
    if (draw(id, 'buys', product) < Math.min(0.95, buys * (academic ? 1.5 : 1))) bought[product] = { deliver: draw(id, 'delivers', product) < delivers };
  }
  if (Object.keys(bought).length === 0) bought.rbfracture = { deliver: true };
  return bought;
}

/**
 * The national network: 70 hospital organisations (8 academic), each with the
 * products it bought and whether their results reach its PACS. The pilot's
 * five keep the pilot's products and delivery, and buy others besides.
 */
export const NATIONAL_HOSPITALS: HospitalsFile = hospitalsFileSchema.parse({
  hospitals: ORGANISATIONS.map(([id, name], i) => {
    const pilot = PILOT_HOSPITALS.hospitals.find((h) => h.id === id);
    return {
      id,
      name,
      kind: i < ACADEMIC ? 'academic' : 'general',
      products: products(id, i < ACADEMIC),
      aeTitles: pilot?.aeTitles ?? { [`${aeStem(id)}_PACS`]: 'automatic', [`${aeStem(id)}_MAN`]: 'manual' },
    };
  }),
});
