/**
 * The AI products the platform routes to. Part of the contract: a verdict on a
 * binary product carries a label, on a continuous product a value, and a
 * vendor sees only the products listed under its name.
 */
export const PRODUCTS = {
  bonexpert: { vendor: 'visiana', name: 'BoneXpert', task: 'bone age', output: 'continuous', unit: 'years' },
  rbfracture: { vendor: 'radiobotics', name: 'RBfracture', task: 'fracture detection', output: 'binary', unit: null },
  'cina-ipe': { vendor: 'avicenna', name: 'CINA-iPE', task: 'incidental pulmonary embolism', output: 'binary', unit: null },
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
