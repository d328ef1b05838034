"""The regulator's side (人社部门, DESIGN.md §6): statistics, anomaly flags, spot checks, sanctions, exports."""
