-- Optional profile facts policies read (SPEC §3.2, §3.16): 所有制 and the 国民经济行业分类
-- (GB/T 4754) code, e.g. C34 or C3411.
ALTER TABLE enterprises ADD COLUMN ownership TEXT
    CHECK (ownership IN ('private', 'state', 'collective', 'foreign', 'other'));
ALTER TABLE enterprises ADD COLUMN sector_code TEXT;
