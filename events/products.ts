/**
 * The AI products the platform routes to. Part of the contract: a verdict on a
 * binary product carries a label, on a continuous product a value, and a
 * vendor sees only the products listed under its name.
 *
 * The pilot's three products come first; the other seventeen are the national
 * catalogue as this project simulates it (stand-ins for the kinds of product on
 * the market, not statements about any real product).
 */
export const PRODUCTS = {
  bonexpert: { vendor: 'visiana', name: 'BoneXpert', task: 'bone age', output: 'continuous', unit: 'years' },
  rbfracture: { vendor: 'radiobotics', name: 'RBfracture', task: 'fracture detection', output: 'binary', unit: null },
  'cina-ipe': { vendor: 'avicenna', name: 'CINA-iPE', task: 'incidental pulmonary embolism', output: 'binary', unit: null },
  rbknee: { vendor: 'radiobotics', name: 'RBknee', task: 'knee osteoarthritis on X-ray', output: 'binary', unit: null },
  'cina-ich': { vendor: 'avicenna', name: 'CINA-ICH', task: 'intracranial haemorrhage on head CT', output: 'binary', unit: null },
  'cina-lvo': { vendor: 'avicenna', name: 'CINA-LVO', task: 'large-vessel occlusion on CT angiography', output: 'binary', unit: null },
  chestview: { vendor: 'norvia', name: 'ChestView', task: 'chest X-ray findings', output: 'binary', unit: null },
  'chestview-ptx': { vendor: 'norvia', name: 'ChestView PTX', task: 'pneumothorax on chest X-ray', output: 'binary', unit: null },
  'lungnod-ct': { vendor: 'norvia', name: 'LungNod CT', task: 'lung nodules on chest CT', output: 'binary', unit: null },
  'spineview-vf': { vendor: 'osteolytics', name: 'SpineView VF', task: 'vertebral fractures on spine X-ray', output: 'binary', unit: null },
  'ribfx-ct': { vendor: 'osteolytics', name: 'RibFx CT', task: 'rib fractures on trauma CT', output: 'binary', unit: null },
  'cac-score': { vendor: 'heartline', name: 'CAC Score', task: 'coronary calcium above 100 Agatston on CT', output: 'binary', unit: null },
  'ccta-stenosis': { vendor: 'heartline', name: 'CCTA Stenosis', task: 'coronary stenosis of 50 % or more on CT angiography', output: 'binary', unit: null },
  'prostate-mr': { vendor: 'quantivue', name: 'ProstateQ', task: 'clinically significant prostate cancer on MRI', output: 'binary', unit: null },
  'lumbar-mr': { vendor: 'quantivue', name: 'SpineQ', task: 'lumbar spinal stenosis on MRI', output: 'binary', unit: null },
  'knee-mr': { vendor: 'jointly', name: 'KneeMR Assist', task: 'meniscal or cruciate ligament tear on knee MRI', output: 'binary', unit: null },
  'ms-lesion-mr': { vendor: 'cerebrix', name: 'LesionTrack', task: 'new multiple-sclerosis lesions on brain MRI', output: 'binary', unit: null },
  'aspects-ct': { vendor: 'cerebrix', name: 'StrokeScore', task: 'early ischaemic change (ASPECTS 7 or less) on head CT', output: 'binary', unit: null },
  'mammo-detect': { vendor: 'mammetrix', name: 'MammoDetect', task: 'breast cancer on mammography', output: 'binary', unit: null },
  'mammo-density': { vendor: 'mammetrix', name: 'DensityGrade', task: 'dense breasts (BI-RADS c or d) on mammography', output: 'binary', unit: null },
} as const;

export type ProductId = keyof typeof PRODUCTS;
export type VendorId = (typeof PRODUCTS)[ProductId]['vendor'];

export const PRODUCT_IDS = Object.keys(PRODUCTS) as [ProductId, ...ProductId[]];
export const VENDOR_IDS = [...new Set(PRODUCT_IDS.map((p) => PRODUCTS[p].vendor))] as [VendorId, ...VendorId[]];

export function productsOfVendor(vendor: string): ProductId[] {
  return PRODUCT_IDS.filter((p) => PRODUCTS[p].vendor === vendor);
}

export function isBinaryProduct(product: ProductId): boolean {
  return PRODUCTS[product].output === 'binary';
}
