"""Reference catalogue: grades, occupations, regions, education levels, titles and equivalences (比照)."""
