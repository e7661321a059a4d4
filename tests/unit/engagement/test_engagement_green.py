"""The green label on known GB/T 4754-2017 codes (《绿色产业指导目录（2019年版）》 mapping)."""

from __future__ import annotations

import polars as pl

from puhui.engagement.green import catalogue, green_columns


def test_known_codes_map_to_their_catalogue_category() -> None:
    cat = catalogue()
    assert cat.category_of("4416") == "3"  # 太阳能发电: clean energy
    assert cat.category_of("4415") == "3"  # 风力发电
    assert cat.category_of("7722") == "1"  # 大气污染治理, via its group 772
    assert cat.category_of("0212") == "4"  # 林木育苗, via its group 021
    assert cat.category_of("5411") == "5"  # 公共电汽车客运, group 541
    assert cat.category_of("4411") is None  # 火力发电 is not green
    assert cat.category_of("1311") is None  # 谷物磨制
    assert cat.category_of("C") is None  # a section letter is too coarse
    assert cat.category_of(None) is None
    assert cat.category_label("3", "zh") == "清洁能源产业"
    assert cat.category_label("3", "en") == "Clean energy"


def test_the_file_names_its_source() -> None:
    source = catalogue().source
    assert "绿色产业指导目录（2019年版）" in source["title_zh"]
    assert "293" in source["document"]


def test_column_function_agrees_with_the_scalar_one_and_withholds_energy_intensive() -> None:
    cat = catalogue()
    codes = ["4416", "7722", "0212", "4411", "C", None, "772", "4416"]
    kwh = [100.0, None, 50.0, 10.0, 10.0, None, None, 5_000.0]
    out = green_columns(pl.DataFrame({"industry_code": codes, "kwh_per_10k_sales_12m": kwh}), cat)
    assert out["green_category"].to_list() == [cat.category_of(c) for c in codes]
    # the last one is a solar plant using 5,000 kWh per 10,000 yuan: energy-intensive
    assert out["green"].to_list() == [True, True, True, False, False, False, True, False]


def test_without_utilities_data_the_industry_decides() -> None:
    out = green_columns(pl.DataFrame({"industry_code": ["4416", "1311"]}), catalogue())
    assert out["green"].to_list() == [True, False]
