package ews

import "encoding/xml"

// Restriction is m:Restriction (RestrictionType): the filter of FindItem and FindFolder,
// one search expression.
type Restriction struct {
	Expression SearchExpression `xml:",any"`
}

// Where returns the restriction holding e.
func Where(e SearchExpression) *Restriction { return &Restriction{Expression: e} }

// Search expression operators, as element names (the t:SearchExpression substitution
// group).
const (
	ExprIsEqualTo              = "t:IsEqualTo"
	ExprIsNotEqualTo           = "t:IsNotEqualTo"
	ExprIsGreaterThan          = "t:IsGreaterThan"
	ExprIsGreaterThanOrEqualTo = "t:IsGreaterThanOrEqualTo"
	ExprIsLessThan             = "t:IsLessThan"
	ExprIsLessThanOrEqualTo    = "t:IsLessThanOrEqualTo"
	ExprContains               = "t:Contains"
	ExprExcludes               = "t:Excludes"
	ExprExists                 = "t:Exists"
	ExprNot                    = "t:Not"
	ExprAnd                    = "t:And"
	ExprOr                     = "t:Or"
)

// SearchExpression is one node of a restriction, its operator in XMLName:
//
//	IsEqualTo … IsLessThanOrEqualTo  a path, then FieldURIOrConstant (a constant or a
//	                                 second path)
//	Contains                         a path, Constant, ContainmentMode/Comparison
//	Excludes                         a path, Bitmask
//	Exists                           a path
//	Not                              one operand
//	And, Or                          one or more operands
//
// The fields hold the union of those shapes in schema order; each operator uses its own.
type SearchExpression struct {
	XMLName               xml.Name
	ContainmentMode       string `xml:"ContainmentMode,attr,omitempty"`
	ContainmentComparison string `xml:"ContainmentComparison,attr,omitempty"`
	PathChoice
	FieldURIOrConstant *FieldURIOrConstant `xml:"t:FieldURIOrConstant"`
	Constant           *Constant           `xml:"t:Constant"`
	Bitmask            *Constant           `xml:"t:Bitmask"`
	Operands           []SearchExpression  `xml:",any"`
}

// FieldURIOrConstant is the right-hand side of a comparison: a constant, or a path to
// compare with.
type FieldURIOrConstant struct {
	PathChoice
	Constant *Constant `xml:"t:Constant"`
}

// Constant is a literal in a restriction (ConstantValueType, ExcludesValueType).
type Constant struct {
	Value string `xml:"Value,attr"`
}

// Operator returns the expression's element name, one of the Expr… constants.
func (e *SearchExpression) Operator() string { return e.XMLName.Local }

// Value returns the constant the expression compares with (from FieldURIOrConstant,
// Constant or Bitmask) and whether there is one.
func (e *SearchExpression) Value() (string, bool) {
	switch {
	case e.FieldURIOrConstant != nil && e.FieldURIOrConstant.Constant != nil:
		return e.FieldURIOrConstant.Constant.Value, true
	case e.Constant != nil:
		return e.Constant.Value, true
	case e.Bitmask != nil:
		return e.Bitmask.Value, true
	}
	return "", false
}

func compare(op string, p PropertyPath, value string) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: op}, PathChoice: PathTo(p),
		FieldURIOrConstant: &FieldURIOrConstant{Constant: &Constant{Value: value}}}
}

// IsEqualTo returns the expression "p = value".
func IsEqualTo(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsEqualTo, p, value)
}

// IsNotEqualTo returns the expression "p != value".
func IsNotEqualTo(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsNotEqualTo, p, value)
}

// IsGreaterThan returns the expression "p > value".
func IsGreaterThan(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsGreaterThan, p, value)
}

// IsGreaterThanOrEqualTo returns the expression "p >= value".
func IsGreaterThanOrEqualTo(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsGreaterThanOrEqualTo, p, value)
}

// IsLessThan returns the expression "p < value".
func IsLessThan(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsLessThan, p, value)
}

// IsLessThanOrEqualTo returns the expression "p <= value".
func IsLessThanOrEqualTo(p PropertyPath, value string) SearchExpression {
	return compare(ExprIsLessThanOrEqualTo, p, value)
}

// Contains returns a substring or prefix match: mode is a ContainmentMode (Substring,
// Prefixed, FullString, …), comparison a ContainmentComparison (IgnoreCase, Exact, …);
// empty ones are left out.
func Contains(p PropertyPath, value, mode, comparison string) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: ExprContains}, ContainmentMode: mode,
		ContainmentComparison: comparison, PathChoice: PathTo(p), Constant: &Constant{Value: value}}
}

// Exists returns the expression "p is set".
func Exists(p PropertyPath) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: ExprExists}, PathChoice: PathTo(p)}
}

// Not negates e.
func Not(e SearchExpression) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: ExprNot}, Operands: []SearchExpression{e}}
}

// And holds when every operand holds.
func And(operands ...SearchExpression) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: ExprAnd}, Operands: operands}
}

// Or holds when any operand holds.
func Or(operands ...SearchExpression) SearchExpression {
	return SearchExpression{XMLName: xml.Name{Local: ExprOr}, Operands: operands}
}

// Sort directions of a FieldOrder.
const (
	Ascending  = "Ascending"
	Descending = "Descending"
)

// SortOrder is m:SortOrder: sort keys, most significant first.
type SortOrder struct {
	FieldOrders []FieldOrder `xml:"t:FieldOrder"`
}

// SortBy returns the sort order of keys.
func SortBy(keys ...FieldOrder) *SortOrder { return &SortOrder{FieldOrders: keys} }

// FieldOrder is one sort key: a property and a direction.
type FieldOrder struct {
	Order string `xml:"Order,attr"`
	PathChoice
}

// OrderBy returns the sort key p in direction order (Ascending or Descending).
func OrderBy(p PropertyPath, order string) FieldOrder {
	return FieldOrder{Order: order, PathChoice: PathTo(p)}
}
